// The worker side of embedding-thread.ts: loads the model, embeds the queries it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { createEmbedder, type EmbedderOptions } from './embedding.js';
import type { WorkerReply } from './embedding-thread.js';

const port = parentPort!;
const send = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

try {
  const embedder = await createEmbedder(workerData as EmbedderOptions);
  port.on('message', async (message: { id: number; texts: string[] } | { close: true }) => {
    if ('close' in message) {
      await embedder.dispose();
      port.close();
      return;
    }
    try {
      const vectors = await embedder.embedQueries(message.texts);
      const data = new Float32Array(vectors.length * embedder.dimension);
      vectors.forEach((v, i) => data.set(v, i * embedder.dimension));
      send({ type: 'vectors', id: message.id, data, dimension: embedder.dimension }, [data.buffer]);
    } catch (err) {
      send({ type: 'error', id: message.id, error: { name: (err as Error).name, message: (err as Error).message } });
    }
  });
  send({ type: 'ready', modelId: embedder.modelId, fingerprint: embedder.fingerprint, dimension: embedder.dimension });
} catch (err) {
  send({ type: 'failed', error: { name: (err as Error).name, message: (err as Error).message, code: (err as { code?: string }).code } });
}
