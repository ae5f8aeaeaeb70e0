"""English normalization."""

import pytest

from transformer.text.english import normalize_english

CASES = [
    ("I have 3 apples.", "I have three apples."),
    ("It costs $1.5 million.", "It costs one point five million dollars."),
    ("Pay $3.50 now", "Pay three dollars and fifty cents now"),
    ("Only $1", "Only one dollar"),
    ("£20", "twenty pounds"),
    ("at 3:30 pm", "at three thirty p m"),
    ("at 10:05", "at ten oh five"),
    ("at 3:00", "at three o'clock"),
    ("at 7:00 AM", "at seven a m"),
    ("On 03/12/2024 we met", "On March twelfth, twenty twenty-four we met"),
    ("March 12, 2024", "March twelfth, twenty twenty-four"),
    ("July 4th", "July fourth"),
    ("the 21st century", "the twenty-first century"),
    ("2nd and 3rd", "second and third"),
    ("in 1999", "in nineteen ninety-nine"),
    ("in 2005", "in two thousand five"),
    ("It is 50% off", "It is fifty percent off"),
    ("walk 5 km", "walk five kilometers"),
    ("weighs 1 kg", "weighs one kilogram"),
    ("It was 20 °C", "It was twenty degrees Celsius"),
    ("Dr. Smith and Mr. Jones", "Doctor Smith and Mister Jones"),
    ("apples, pears, etc.", "apples, pears, et cetera"),
    ("call (555) 123-4567", "call five five five, one two three, four five six seven"),
    ("call 555-123-4567", "call five five five, one two three, four five six seven"),
    ("pi is 3.14", "pi is three point one four"),
    ("-5 degrees", "minus five degrees"),
    ("1,000,000 people", "one million people"),
    ("10-15 minutes", "ten to fifteen minutes"),
    ("12345", "twelve thousand three hundred and forty-five"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_english_is_said_in_words(text, expected):
    assert normalize_english(text) == expected
