/**
 * Imported first by bench/run.ts: module-scope code elsewhere (the Powertools logger, the SDK's
 * version notice) reads these variables as it loads, so they must be set before anything else.
 */
process.env.TABLE_NAME ??= 'bench-touchpoints';
process.env.AWS_REGION = 'local';
process.env.AWS_ACCESS_KEY_ID = 'local';
process.env.AWS_SECRET_ACCESS_KEY = 'local';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_TRACE_ENABLED = 'false';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// The in-process API is measured without faults; the fault scenarios switch them on in their own processes.
delete process.env.TOUCHPOINT_FAULT_RATE;
delete process.env.TOUCHPOINT_FAULT_KINDS;
delete process.env.DYNAMODB_ENDPOINT;
