// Where a pipeline's `batch` processor hands its batching to the exporter queues behind it. Holding
// requests in the processor until a flush makes every client wait for the batch timeout; when every
// exporter the pipeline feeds answers at enqueue, the processor passes requests on as they come and
// the exporters' queue batchers merge them with the processor's sizes and timeout, so the backend
// still gets the batches the config asked for while clients are answered at once.
import type { Exporter } from '../pipeline/component.js';
import type { QueueBatchConfig } from '../pipeline/queue-batch-config.js';
import type { BatchProcessorConfig } from '../processors/batch/config.js';
import { nodeKey, type ComponentGraph, type GraphNode } from './graph.js';

const BATCH_TYPE = 'batch';

/** The last batch processor's settings in a pipeline, as queue batching. */
function pipelineBatch(pipeline: GraphNode, graph: ComponentGraph): QueueBatchConfig | undefined {
  const processors = pipeline.pipeline?.processors ?? [];
  for (let i = processors.length - 1; i >= 0; i--) {
    const node = graph.nodes.get(nodeKey.processor(pipeline.id, i, processors[i]!));
    if (node?.component?.type !== BATCH_TYPE) continue;
    const c = node.component.config as BatchProcessorConfig;
    return { flush_timeout: c.timeout, min_size: c.send_batch_size, max_size: c.send_batch_max_size, sizer: 'items' };
  }
  return undefined;
}

/** For an exporter node: the batching of the first pipeline feeding it that has a batch processor. */
export function queueBatchFor(exporter: GraphNode, graph: ComponentGraph): QueueBatchConfig | undefined {
  for (const fanout of graph.upstream(exporter.key)) {
    const batch = pipelineBatch(graph.node(nodeKey.pipeline(fanout.id)), graph);
    if (batch) return batch;
  }
  return undefined;
}

/** For a processor node: whether everything its pipeline's fan-out feeds is an exporter that answers at enqueue. */
export function exportersAnswerAtEnqueue(processor: GraphNode, graph: ComponentGraph, instance: (node: GraphNode) => unknown): boolean {
  if (processor.component?.type !== BATCH_TYPE || !processor.pipeline) return false;
  const targets = graph.downstream(nodeKey.fanout(processor.pipeline.id));
  return targets.length > 0 && targets.every((n) => n.kind === 'exporter' && (instance(n) as Exporter | undefined)?.answersAtEnqueue === true);
}
