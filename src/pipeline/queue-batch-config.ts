// The settings of batching inside a sending queue, apart from the batcher so the component
// interfaces can name them without depending on the queue's implementation.
export interface QueueBatchConfig {
  flush_timeout: number;
  /** A batch is sent once it holds this much (in `sizer` units); 0 sends what each take brings. */
  min_size: number;
  /** Cap per batch (in `sizer` units, requests are split to meet it); 0 = none. */
  max_size: number;
  sizer: 'items' | 'bytes' | 'requests';
}
