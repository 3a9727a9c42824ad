"""Text for text-to-image models: tokenizer, sentence encoder, and captions made for data sets."""
