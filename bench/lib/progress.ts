/**
 * Progress on stderr (stdout stays for the results table): one line rewritten in place on a
 * terminal, a line every few seconds in a log.
 */
const interactive = process.stderr.isTTY === true;
const logEveryMs = 5_000;

export function step(message: string): void {
  process.stderr.write(`${interactive ? '\r\x1b[K' : ''}▸ ${message}\n`);
}

export interface Progress {
  update(done: number, note?: string): void;
  done(note?: string): void;
}

export function progress(label: string, total: number): Progress {
  const startedAt = performance.now();
  let lastLog = 0;
  let last = 0;
  const line = (done: number, note?: string) => {
    const seconds = (performance.now() - startedAt) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const share = total > 0 ? ` ${((100 * done) / total).toFixed(0)}%` : '';
    const eta = rate > 0 && total > done ? `, ~${Math.ceil((total - done) / rate)} s left` : '';
    return `  ${label}: ${done.toLocaleString('en-GB')}/${total.toLocaleString('en-GB')}${share} (${rate.toFixed(0)}/s${eta})${note ? ` ${note}` : ''}`;
  };
  return {
    update(done, note) {
      last = done;
      const now = performance.now();
      if (interactive) {
        if (now - lastLog < 200) return;
        lastLog = now;
        process.stderr.write(`\r\x1b[K${line(done, note)}`);
      } else if (now - lastLog >= logEveryMs) {
        lastLog = now;
        process.stderr.write(`${line(done, note)}\n`);
      }
    },
    done(note) {
      const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
      process.stderr.write(`${interactive ? '\r\x1b[K' : ''}${line(total || last, `in ${seconds} s${note ? `, ${note}` : ''}`)}\n`);
    },
  };
}

/** A countdown for timed phases (load runs), so a long run never looks stuck. */
export function ticker(label: string, seconds: number): () => void {
  const startedAt = performance.now();
  const timer = setInterval(() => {
    const elapsed = Math.min(seconds, (performance.now() - startedAt) / 1000);
    if (interactive) process.stderr.write(`\r\x1b[K  ${label}: ${elapsed.toFixed(0)}/${seconds} s`);
  }, 500);
  return () => {
    clearInterval(timer);
    if (interactive) process.stderr.write('\r\x1b[K');
  };
}
