"""The embedded Piper voice, served by the predictor, says what it was asked.

Piper samples noise, so single words come and go between runs: the checks count words over
whole sentences, with margins measured over repeated runs (about 0.8 recognised on average).
"""

import pytest

from tests.clients import infer_binary, infer_json
from tests.speech_recognition import fraction_recognized, transcribe

SENTENCES = [
    "Hello world. This is a test.",
    "The weather is nice today and I want to go outside.",
    "Please call me at seven o'clock tomorrow morning.",
]


def test_piper_voice_is_recognised_word_for_word(piper_server):
    speech = infer_binary(piper_server, [s.encode() for s in SENTENCES])
    sample_rate = int(speech.parameters["sample_rate"])
    heard = [transcribe(audio, sample_rate) for audio in speech.items()]
    expected = " ".join(SENTENCES)
    assert fraction_recognized(expected, " ".join(heard)) >= 0.65, heard
    for sentence, hypothesis in zip(SENTENCES, heard, strict=True):
        assert fraction_recognized(sentence, hypothesis) >= 0.4, (sentence, hypothesis)


@pytest.mark.parametrize("speed", [0.8, 1.25])
def test_piper_voice_stays_intelligible_at_other_speeds(piper_server, speed):
    sentence = SENTENCES[1]
    speech = infer_json(piper_server, [sentence], {"speed": speed})
    heard = transcribe(speech.items()[0], int(speech.parameters["sample_rate"]))
    assert fraction_recognized(sentence, heard) >= 0.5, heard
