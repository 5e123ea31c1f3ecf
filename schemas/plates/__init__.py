"""Chinese, Hong Kong and Macau plate normalisation and validation; pure code, no Kafka.

Canonical forms (the ``Plate.text`` that is the identity of a plate and the Kafka key):

* mainland plates: the characters alone, no separators, upper case, simplified characters:
  ``川A12345``, ``川AD12345`` / ``川A12345D`` (new energy), ``粤Z1234港``, ``川A1234警``,
  ``沪A1234领``, ``川A1234应急``. NFKC folds full-width forms; ``·`` ``•`` ``-`` ``.`` and spaces
  are dropped; traditional forms (``粵 滬 學`` …) and the formal abbreviations ``黔`` ``滇`` become
  the plate characters ``粤 沪 学`` ``贵`` ``云``;
* I and O never occur in a serial, so a serial I is read as 1 and a serial O as 0;
* the organ letter: O in the authority position (``川O12345``) marks organ plates and is kept as the
  letter O; a digit 0 there (``川012345``, how some readers and datasets write it) becomes O, since 0
  can never be an authority letter;
* embassy plates: ``使`` then 6 digits (``使224009``), also from the dataset form ``224009使`` and from
  the 6 digits alone (``224-009``), as plates are often written;
* armed police: ``WJ`` + province character (or 2-digit code) + 4-5 digits + optional service
  letter: ``WJ粤1609X``;
* military: 2 letters + 5 digits: ``JA12345``;
* Hong Kong: the mark as written, up to 2 letters (no I, O, Q) and 1-4 digits: ``LW2468``; and
  personalised marks, 1-8 letters (no I, O, Q) and numerals: ``1L0VEU`` (almost any short Latin text
  has that form, ``TBD`` and ``THE`` too, so an entry is one only when its owner states the issuer
  ``PlateIssuer.HONG_KONG``, and then carries a warning);
* Macau: letters and digit pairs joined by hyphens, as on the plate: ``MA-12-34``, ``M-00-01``,
  ``AA-12-34`` (the series after MZ). The hyphens are kept because ``MA1234`` is a Hong Kong mark:
  Macau is only recognised when the input separates the digit pairs (``MA 12 34``, ``MA-12-34``).
  Macau motorcycle plates (``CM-12345``) are not recognised: with separators dropped they are the
  military plate ``CM12345``.

Hong Kong and Macau plates are told from mainland ones by their kind, not by a prefix added to the
text (the text is what a person sees on the plate and types): ``Plate.kind`` and ``issuer_of(kind)``
say whose a plate is (``粤Z…港/澳`` are mainland plates), and each canonical text has one kind. The
look-alike classes (``lookalikes``) fold Hong Kong and Macau marks as they fold mainland serials: a
misread may change the kind (``AB1234`` read ``A81234`` is a personalised mark, ``MB-12-34`` read
``M8-12-34`` breaks the Macau form) but keeps the class key, so a tolerant entry still matches it. The
exception: a two-letter mark whose letters are both read as digits (``BZ1234`` read ``821234``) is the
embassy plate ``使821234`` without its 使.

Replacing a character (serial I/O, authority 0) sets ``Plate.corrected``; a watchlist hit on a
corrected plate is a hit on a misread and must be shown as one. The plate's colour is not in its
text: a blue and a yellow ``川A12345`` are two vehicles with one key.

Two strictnesses (``Strictness``). A *read* (what a camera reported: the plate of a checkpoint hit) is
accepted whenever it has the shape of a plate: province character, authority letter (or a digit a
reader put there), a serial of the right length and a known suffix; new energy, WJ, military, Hong
Kong, Macau, embassy and consulate forms, with or without their character. The issuing rule it breaks
is named in ``Plate.breaks`` (a ``PlateRule``: 3 letters in a serial, a letter where new energy has
digits, 港 on anything but 粤Z …): a misread of a real plate often breaks one, and it must still be
matched. An *entry* (what a person wrote: a watchlist plate, an alert's plates) is accepted when it is
a real plate, 3-letter serials included, which ``entry_warnings`` turns into a warning for the owner;
what only a read may break is refused as malformed.

Exceptions: ``PlateError`` (a ``ValueError``) for every input that is not a plate at the strictness
asked for.
"""

from schemas.plates.model import Plate, PlateError, PlateIssuer, PlateKind, PlateRule, Strictness, issuer_of
from schemas.plates.normalise import (
    PlateCheck,
    check_plate,
    entry_warnings,
    normalise_plate,
    normalised_ordinary,
    plate_key,
    read_plate,
)

__all__ = [
    "Plate",
    "PlateCheck",
    "PlateError",
    "PlateIssuer",
    "PlateKind",
    "PlateRule",
    "Strictness",
    "check_plate",
    "entry_warnings",
    "issuer_of",
    "normalise_plate",
    "normalised_ordinary",
    "plate_key",
    "read_plate",
]
