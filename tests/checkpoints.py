"""Tiny real Coqui checkpoints, built offline with random weights.

They are made by coqui-tts from a config, saved the way training saves them (a state dict and
config.json) and loaded by the predictor through the same `load()` users hit. Random weights say
nothing intelligible, but every shape, file and code path is the real one.
"""

import math
from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers

TRAINING_DIR = "/training/run-42"
"""Where the configs claim their files were: paths trained configs carry from another machine."""

VITS_SPEAKERS = ("alice", "bob")
VITS_SAMPLE_RATE = 16000
VITS_FRAMES_PER_CHARACTER = 4
XTTS_SPEAKERS = ("Ana Florence",)
XTTS_LANGUAGES = ("en", "bn")
XTTS_MAX_AUDIO_TOKENS = 12
"""A random GPT never emits its stop token: generation always runs to this many codes."""


def build_tiny_vits(out: Path) -> Path:
    """A two-speaker character VITS, about 1.3 M parameters."""
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits
    from TTS.tts.utils.speakers import SpeakerManager

    out.mkdir(parents=True, exist_ok=True)
    config = VitsConfig()
    config.use_phonemes = False
    config.text_cleaner = "basic_cleaners"
    config.characters = CharactersConfig(
        characters_class="TTS.tts.models.vits.VitsCharacters",
        pad="_",
        eos="",
        bos="",
        blank=None,
        characters="abcdefghijklmnopqrstuvwxyz ",
        punctuations=".,!?'-",
        phonemes=None,
    )
    config.audio.sample_rate = VITS_SAMPLE_RATE
    # Trimming cuts at the first quiet stretch, which random output has anywhere.
    config.audio.do_trim_silence = False
    args = config.model_args
    args.hidden_channels = 16
    args.hidden_channels_ffn_text_encoder = 32
    args.num_heads_text_encoder = 2
    args.num_layers_text_encoder = 1
    args.upsample_initial_channel_decoder = 32
    args.upsample_rates_decoder = [8, 8, 4]
    args.upsample_kernel_sizes_decoder = [16, 16, 8]
    args.resblock_kernel_sizes_decoder = [3]
    args.resblock_dilation_sizes_decoder = [[1, 3, 5]]
    args.num_layers_flow = 1
    args.num_layers_posterior_encoder = 1
    args.num_layers_dp_flow = 1
    args.use_sdp = False
    args.init_discriminator = False
    args.use_speaker_embedding = True
    args.num_speakers = len(VITS_SPEAKERS)
    args.speaker_embedding_channels = 16
    config.use_speaker_embedding = True
    config.num_speakers = len(VITS_SPEAKERS)
    speakers = SpeakerManager()
    speakers.name_to_id = {name: i for i, name in enumerate(VITS_SPEAKERS)}
    speakers.save_ids_to_file(str(out / "speakers.json"))
    args.speakers_file = str(out / "speakers.json")
    model = Vits(config)
    # Random weights predict durations far under one frame, which ceil() turns into exactly one
    # frame per character whatever the length scale; a trained model predicts several frames.
    with torch.no_grad():
        model.duration_predictor.proj.weight.zero_()
        model.duration_predictor.proj.bias.fill_(math.log(VITS_FRAMES_PER_CHARACTER))
    # Saved as trained: the config remembers the training machine's path of speakers.json.
    args.speakers_file = f"{TRAINING_DIR}/speakers.json"
    torch.save({"model": model.state_dict(), "config": config.to_dict()}, out / "model.pth")
    config.save_json(str(out / "config.json"))
    return out


def build_tiny_xtts(out: Path, max_audio_tokens: int = XTTS_MAX_AUDIO_TOKENS) -> Path:
    """An XTTS with a one-layer GPT whose vocab and config include Bangla, and one built-in
    speaker in speakers_xtts.pth; it says every text in `max_audio_tokens` codes."""
    from TTS.tts.configs.xtts_config import XttsArgs, XttsConfig
    from TTS.tts.models.xtts import Xtts

    out.mkdir(parents=True, exist_ok=True)
    _write_vocab(out / "vocab.json")
    config = XttsConfig()
    config.model_args = XttsArgs(
        gpt_layers=1,
        gpt_n_model_channels=64,
        gpt_n_heads=2,
        decoder_input_dim=64,
        gpt_max_audio_tokens=max_audio_tokens,
        gpt_max_text_tokens=402,
    )
    config.languages = list(XTTS_LANGUAGES)
    config.gpt_cond_len = 3
    config.gpt_cond_chunk_len = 3
    model = Xtts(config)
    model.tokenizer.__init__(str(out / "vocab.json"))
    model.init_models()
    model.eval()
    torch.save({"model": model.state_dict(), "config": config.to_dict()}, out / "model.pth")
    config.save_json(str(out / "config.json"))
    voice = _synthetic_voice(model)
    torch.save({name: voice for name in XTTS_SPEAKERS}, out / "speakers_xtts.pth")
    return out


def _synthetic_voice(model: object) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    audio = torch.rand(1, 22050 * 3, generator=generator) * 0.2 - 0.1
    return {
        "gpt_cond_latent": model.get_gpt_cond_latents(audio, 22050, length=3, chunk_length=3),
        "speaker_embedding": model.get_speaker_embedding(audio, 22050),
    }


def _write_vocab(path: Path) -> None:
    """A character-level BPE vocab with XTTS's special tokens and [en], [bn]."""
    special = ["[STOP]", "[UNK]", "[SPACE]", "[START]", *(f"[{lang}]" for lang in XTTS_LANGUAGES)]
    latin = list("abcdefghijklmnopqrstuvwxyz0123456789.,!?'-")
    bangla = [chr(code) for code in range(0x0980, 0x0A00)]
    vocab = {token: i for i, token in enumerate(special + latin + bangla)}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="[UNK]"))
    tokenizer.add_special_tokens(special)
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(path))
