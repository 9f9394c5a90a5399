/** `tessera --help`: the commands, one line each (packages/cli/README.md's table is made from it). */
export const HELP = `Usage: tessera <command> [options]

ColBERT (late-interaction) and dense text embeddings with MaxSim scoring.

Commands:
  encode     encode texts into token embeddings (NDJSON, .safetensors, .npy)
  score      MaxSim of a query against documents
  rerank     rank a file of documents against a query
  index      encode a corpus into an index folder (resumable; LanceDB)
  search     the best documents of an index for a query, by MaxSim
  worker     encode shards of queued index runs (tessera index --queue) on this machine
  serve      an embedding server (OpenAI, Jina and TEI routes, dynamic batching)
  models     the model registry and what is cached
  backends   installed backends, their devices, and how to install the rest
  pull       download a model into the Hugging Face cache
  export     write a model's encoder as an ONNX graph (fp32, q8, fp16) from its weights
  demo       encode and score a few texts on the default model
  bench      run the benchmark matrix (in a clone of the repository only)

Run \`tessera <command> --help\` for a command's options and examples.
Exit codes: 0 success, 1 runtime error, 2 usage error.`;
