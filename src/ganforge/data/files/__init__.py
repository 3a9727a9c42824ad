"""Bytes to images, for every reader: decoding untrusted image files with bounded memory
(``decode.py``), checksum-verified downloads (``download.py``) and safe archive extraction
(``archives.py``)."""
