"""English normalization."""

import pytest

from transformer.text.english import DIGIT_WORDS, MAX_CARDINAL_DIGITS, normalize_english

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


def digits_said(digit: str, count: int) -> str:
    return " ".join([DIGIT_WORDS[int(digit)]] * count)


def test_fifteen_digits_are_a_number_and_sixteen_are_read_digit_by_digit():
    assert MAX_CARDINAL_DIGITS == 15
    assert normalize_english("1" * 15).startswith("one hundred and eleven trillion")
    assert normalize_english("1" * 16) == digits_said("1", 16)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1" * 400, digits_said("1", 400)),
        ("1" * 5000, digits_said("1", 5000)),
        ("-" + "1" * 400, f"minus {digits_said('1', 400)}"),
        ("1" * 400 + ".5", f"{digits_said('1', 400)} point five"),
        ("1." + "5" * 400, f"one point {digits_said('5', 400)}"),
        ("$" + "9" * 400, f"{digits_said('9', 400)} dollars"),
        ("$" + "9" * 400 + ".50", f"{digits_said('9', 400)} dollars and fifty cents"),
        ("$" + "9" * 400 + " million", f"{digits_said('9', 400)} million dollars"),
        ("9" * 400 + "%", f"{digits_said('9', 400)} percent"),
        ("99999999999999999999th", digits_said("9", 20)),
        ("9" * 400 + " km", f"{digits_said('9', 400)} kilometers"),
        ("1" * 400 + "-" + "2" * 400, f"{digits_said('1', 400)} to {digits_said('2', 400)}"),
    ],
    ids=[
        "plain",
        "5000",
        "negative",
        "decimal",
        "long-fraction",
        "dollars",
        "dollars-and-cents",
        "dollars-scale",
        "percent",
        "ordinal",
        "unit",
        "range",
    ],
)
def test_numbers_too_long_to_say_are_read_digit_by_digit(text, expected):
    assert normalize_english(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("$01", "one dollar"), ("$3.001", "three dollars"), ("$0.01", "zero dollars and one cent")],
)
def test_cents_come_from_the_first_two_digits_after_the_point(text, expected):
    assert normalize_english(text) == expected


@pytest.mark.parametrize("text", ["1e999", "1e-999", "10^400", "9" * 400 + "e" + "9" * 400])
def test_exponents_are_read_as_the_numbers_they_are_written_with(text):
    said = normalize_english(text)
    assert not any(ch.isdigit() for ch in said)
    assert "nine" in said or "four hundred" in said
