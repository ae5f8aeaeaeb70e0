"""vox-raga transformer: text normalization, SSML and audio encoding in front of the predictor."""
