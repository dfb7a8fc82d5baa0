"""Using a trained checkpoint outside training: predictions on files, export to ONNX."""
