"""Plates of every kind as people and readers write them, and texts that are no plate, for the quality bench.

Real plates are the packaged CCPD sample (8,579 ordinary plates); every other kind is generated per
``schemas/data/plate_rules.json`` (the sample has none of them). A generated plate is the pair
(text as written, canonical text): the written form uses the separators and spellings people and
readers use (``川A·12345``, ``224-009``, ``MA 12 34``).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from importlib import resources

from schemas.plates.rules import PROVINCES, SERIAL_LETTERS

__all__ = ["KINDS", "NON_PLATES", "ccpd_sample"]

_PROVINCES = "".join(PROVINCES)
_LETTERS = "".join(sorted(SERIAL_LETTERS))  # A-Z without I and O
_HK_LETTERS = _LETTERS.replace("Q", "")
_DIGITS = string.digits
Written = tuple[str, str]  # (as written, canonical)


def ccpd_sample() -> list[str]:
    """The packaged CCPD sample: real plates, one a line."""
    text = resources.files("schemas").joinpath("data", "ccpd_balanced_sample.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(_DIGITS, k=n))


def _serial(rng: random.Random, n: int, letters: int) -> str:
    chars = list(_digits(rng, n))
    for pos in rng.sample(range(n), letters):
        chars[pos] = rng.choice(_LETTERS)
    return "".join(chars)


def _head(rng: random.Random) -> str:
    return rng.choice(_PROVINCES) + rng.choice(_LETTERS)


def _same(text: str) -> Written:
    return text, text


def _ordinary(rng: random.Random) -> Written:
    text = _head(rng) + _serial(rng, 5, rng.choices((0, 1, 2), (0.35, 0.45, 0.2))[0])
    return (f"{text[:2]}·{text[2:]}", text) if rng.random() < 0.3 else _same(text)


def _suffixed(suffix: str) -> Callable[[random.Random], Written]:
    def make(rng: random.Random) -> Written:
        return _same(_head(rng) + _serial(rng, 4, rng.choice((0, 0, 1))) + suffix)

    return make


def _crossborder(rng: random.Random) -> Written:
    return _same("粤Z" + _serial(rng, 4, rng.choice((0, 0, 1))) + rng.choice("港澳"))


def _armed_police(rng: random.Random) -> Written:
    head = rng.choice(_PROVINCES) if rng.random() < 0.8 else f"{rng.randrange(11, 66):02d}"
    text = "WJ" + head + _digits(rng, rng.choice((4, 5))) + rng.choice(["", *_LETTERS[:10]])
    return _same(text)


def _hk_number(rng: random.Random) -> str:
    return str(rng.randint(1, 9999))


def _personalised(rng: random.Random) -> Written:
    # words and names (letters only), lucky numbers with letters, 1L0VEU-like spellings
    while True:
        n = rng.randint(2, 8)
        alphabet = _HK_LETTERS if rng.random() < 0.5 else _HK_LETTERS + _DIGITS
        text = "".join(rng.choices(alphabet, k=n))
        if (
            not text.isdigit()
            and not _traditional(text)
            and not (len(text) == 7 and text[:2].isalpha() and text[2:].isdigit())  # military
            and not any(ch * 5 in text for ch in text)
            and not text.startswith("WJ")
        ):
            return _same(text)


def _traditional(text: str) -> bool:
    head = text.rstrip(_DIGITS)
    number = text[len(head) :]
    # with a leading zero too: X0, AB0123 have the form of a traditional mark but break its rule, so the
    # parser refuses them as entries (whether they can be personalised marks is not documented)
    return len(head) <= 2 and head.isalpha() and 1 <= len(number) <= 4


#: plate kind -> a generator of (text as written, canonical text); "ordinary_ccpd" is the real sample
KINDS: dict[str, Callable[[random.Random], Written]] = {
    "ordinary": _ordinary,
    "ordinary_3_letters": lambda rng: _same(_head(rng) + _serial(rng, 5, 3)),
    "new_energy_small": lambda rng: _same(
        _head(rng) + rng.choice("DF") + rng.choice(_LETTERS + _DIGITS) + _digits(rng, 4)
    ),
    "new_energy_large": lambda rng: _same(_head(rng) + _digits(rng, 5) + rng.choice("DF")),
    "police": _suffixed("警"),
    "coach": _suffixed("学"),
    "trailer": _suffixed("挂"),
    "test_vehicle": _suffixed("试"),
    "oversize": _suffixed("超"),
    "emergency": _suffixed("应急"),
    "hk_macau_crossborder": _crossborder,
    "consulate": lambda rng: _same(_head(rng) + _digits(rng, 4) + "领"),
    "embassy": lambda rng: _same("使" + _digits(rng, 6)),
    "embassy_without_使": lambda rng: (lambda d: (f"{d[:3]}-{d[3:]}", "使" + d))(_digits(rng, 6)),
    "armed_police": _armed_police,
    "military": lambda rng: _same("".join(rng.choices(_LETTERS, k=2)) + _digits(rng, 5)),
    "hong_kong": lambda rng: _same(
        "".join(rng.choices(_HK_LETTERS, k=rng.choice((0, 2, 2)))) + _hk_number(rng)
    ),
    "hong_kong_personalised": _personalised,
    "macau": lambda rng: (lambda head, d: (f"{head} {d[:2]} {d[2:]}", f"{head}-{d[:2]}-{d[2:]}"))(
        rng.choice(["M", "MA", "MB", "MX", "AA"]), _digits(rng, 4)
    ),
}

# ---- texts that are not plates ------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


_ENGLISH = _words(
    "the of and to in is you that it he was for on are as with his they at be this have from or one had "
    "by word but not what all were we when your can said there use an each which she do how their if "
    "will up other about out many then them these so some her would make like him into time has look "
    "two more write go see number no way could people my than first water been call who oil its now find "
    "long down day did get come made may part car plate vehicle unknown none null test sample police "
    "stolen red blue white black truck van taxi bus wanted missing driver owner street highway"
)
_CHINESE = _words(
    "无牌 无车牌 未识别 未知 车牌 不详 待定 白色轿车 黑色越野车 红色货车 无号牌 套牌车 嫌疑车辆 被盗车辆 "
    "见附件 同上 暂无 号码不清 遮挡号牌 临时牌照 外地车 本地车 面包车 摩托车 出租车 公交车 大货车 小轿车 "
    "驾驶人 车主 姓名 电话 地址 备注 说明 其他 无 空 未录入 看不清 模糊 污损 号牌 车辆 布控 协查 测试"
)
_PLACEHOLDERS = ["N/A", "n.a.", "-", "--", "?", "??", "xxx", "XXXXXXX", "0", "00000000", "#", "TBD", "…"]
#: characters that never stand on a plate (separators excluded: they are dropped, not wrong; nor ™,
#: which NFKC makes TM)
_WRONG = (
    "!@#$%^&*()_+=[]{}<>|\\/;:'\",?~`αβγπΩ€£¥§©®😀🚗"
    "的是了在人有我他这中大来上国个到说们为子和你地出道也时年亚驻港局"
)


def _random_string(rng: random.Random) -> str:
    alphabet = string.printable[:94] + _WRONG + _PROVINCES + "使警学挂领"
    return "".join(rng.choices(alphabet, k=rng.randint(1, 12)))


def _word(rng: random.Random) -> str:
    pool = rng.choices((_ENGLISH, _CHINESE, _PLACEHOLDERS), (0.45, 0.4, 0.15))[0]
    word = rng.choice(pool)
    return word.upper() if rng.random() < 0.3 else word


def _mainland(rng: random.Random) -> str:
    return rng.choice([_ordinary(rng)[1], KINDS["new_energy_small"](rng)[1], _suffixed("警")(rng)[1]])


def _too_short(rng: random.Random) -> str:
    return _mainland(rng)[: rng.randint(1, 6)]  # 7 characters of a new-energy plate are a plate


def _too_long(rng: random.Random) -> str:
    # 2 characters at least: an ordinary plate and one more is the shape of a new-energy plate
    text = _mainland(rng) if rng.random() < 0.8 else "使" + _digits(rng, 6)
    return text + "".join(rng.choices(_LETTERS + _DIGITS, k=rng.randint(2, 4)))


def _wrong_character(rng: random.Random) -> str:
    text = list(_mainland(rng))
    text[rng.randrange(len(text))] = rng.choice(_WRONG)
    return "".join(text)


#: category -> a generator of a text that is not a plate
NON_PLATES: dict[str, Callable[[random.Random], str]] = {
    "random_string": _random_string,
    "word": _word,
    "too_short": _too_short,
    "too_long": _too_long,
    "wrong_character": _wrong_character,
}
