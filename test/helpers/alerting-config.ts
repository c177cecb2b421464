// The smallest service around an alerting processor: OTLP/HTTP in, the processor, debug out, and
// the status port (which serves the alerting API) where the test wants it.

/** `processor` is the YAML of the processor's settings, indented as under `alerting:`. */
export function alertingServiceYaml(processor: string, statusAddress = '127.0.0.1:0'): string {
  return `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
processors:
  alerting:
${processor}
exporters:
  debug:
service:
  telemetry:
    metrics:
      address: ${statusAddress}
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [alerting]
      exporters: [debug]
`;
}
