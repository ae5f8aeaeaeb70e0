"""What both vox-raga servers share: the V2 contract, text chunking, serving hardening (API
keys, body limits, cancellation, error mapping, logging) and KServe workarounds.

No torch, no coqui-tts: the transformer imports this package and never `predictor`.
"""
