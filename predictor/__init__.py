"""vox-raga predictor: a KServe model server that turns normalized text into speech."""
