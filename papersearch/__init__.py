"""The product's neutral top: typed settings (imported by every layer) and the `papersearch` CLI (which imports every layer)."""
