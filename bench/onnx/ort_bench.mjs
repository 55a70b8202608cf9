// Times the exported encoders in ONNX Runtime (onnxruntime-node, CPU), as Imago's bench times
// its own: images/s of the image encoder at a batch size, and the latency of an 8-token text
// query; medians after a warm-up. Prints one JSON object.
//   node bench/onnx/ort_bench.mjs MODEL_DIR [--threads 2] [--batch 8] [--runs 5]
import ort from 'onnxruntime-node';
import path from 'node:path';

const args = process.argv.slice(2);
const dir = args[0];
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const threads = opt('threads', 2), batch = opt('batch', 8), runs = opt('runs', 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const options = {intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
                 executionMode: 'sequential'};

async function time(session, feeds, n) {
  await session.run(feeds); // warm-up
  const ms = [];
  for (let i = 0; i < n; ++i) {
    const t = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(ms);
}

const image = await ort.InferenceSession.create(path.join(dir, 'image_encoder.onnx'), options);
const pixels = new Float32Array(batch * 3 * 224 * 224).map(() => Math.random() * 2 - 1);
const imageMs = await time(image, {pixel_values: new ort.Tensor('float32', pixels, [batch, 3, 224, 224])}, runs);
const text = await ort.InferenceSession.create(path.join(dir, 'text_encoder.onnx'), options);
const ids = BigInt64Array.from([101n, 1037n, 2417n, 4418n, 2006n, 1037n, 3756n, 102n]);
const textMs = await time(text, {input_ids: new ort.Tensor('int64', ids, [1, 8])}, 5 * runs);
console.log(JSON.stringify({
  runtime: `onnxruntime-node ${ort.env.versions?.common ?? ''}`.trim(),
  threads, batch,
  image_encoder_images_per_second: batch / (imageMs / 1000),
  text_query_ms: textMs,
}));
