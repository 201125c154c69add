import type { Problem } from './api.ts';

/** The API's refusal as it said it: title, detail and each field error, announced at once. */
export function ProblemAlert({ problem }: { problem: Problem }) {
  return (
    <div class="problem" role="alert">
      <strong>
        {problem.title}
        {problem.status ? ` (${problem.status})` : ''}
      </strong>
      {problem.detail && <p>{problem.detail}</p>}
      {problem.errors && problem.errors.length > 0 && (
        <ul>
          {problem.errors.map((error) => (
            <li key={error.path}>
              {error.path}: {error.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
