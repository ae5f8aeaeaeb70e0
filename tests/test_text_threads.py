"""Normalization runs in worker threads, several requests at once: no reading may leak into
another request's (bnunicodenormalizer and pySBD both keep the text they read on themselves)."""

from concurrent.futures import ThreadPoolExecutor

from transformer.text import nemo, normalize
from transformer.text.bangla import script
from transformer.text.sentences import sentences_of

BANGLA = [
    "বাংলাদেশ আমার দেশ। আমি ১০টা বই পড়েছি।",
    "কম্পিউটার বিশ্ববিদ্যালয়ে আছে। দাম ৳৫০০।",
    "রাষ্ট্রপতি ঢাকা-১২০৫ এ থাকেন। সময় ১০:৩০।",
    "বিশ্ববিদ্যালয় ১৯৭১ সালে খোলে। ভালো!",
]
ENGLISH = [
    "The cat sat. The dog ran. It was late.",
    "Dr. Smith arrived at 5 p.m. today. He left at 7:45 pm. Fine.",
    "I paid $3.50 on Feb. 2nd. Then I left.",
    "The U.K. grew 2.5% in Q4. Good.",
]


def _in_threads(function, texts, rounds=60):
    alone = [function(text) for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(function, texts * rounds))
    return alone * rounds, together


def test_bangla_readings_do_not_leak_between_threads():
    alone, together = _in_threads(lambda text: normalize(text, "bn"), BANGLA)
    assert together == alone


def test_the_bangla_word_repair_does_not_leak_between_threads():
    # Past the cache of repaired words, where the repair itself runs.
    words = ["বাংলাদেশ", "কম্পিউটার", "রাষ্ট্রপতি", "বিশ্ববিদ্যালয়"]
    alone, together = _in_threads(script._repair.__wrapped__, words, rounds=200)
    assert together == alone


def test_sentence_splitting_does_not_leak_between_threads():
    alone, together = _in_threads(lambda text: sentences_of(text, "en"), ENGLISH)
    assert together == alone


def test_english_readings_do_not_leak_between_threads():
    alone, together = _in_threads(lambda text: normalize(text, "en"), ENGLISH, rounds=10)
    assert together == alone


def test_a_request_spent_budget_leaves_the_rest_to_the_fallback_rules():
    with nemo.request_budget(0.0):
        said = nemo.read("It costs $5.", "en", lambda text: f"<{text}>")
    assert said == "<It costs $5.>"
