"""Place names as people write them, made comparable: the keys the gazetteer is searched by.

:func:`normalise_name` drops case, accents, Arabic vowel marks, apostrophes and separators;
:func:`strip_article` a leading Arabic article; :func:`strip_descriptor` a word such as
"town" or "district" ("Aleppo town"); :func:`transliteration_key` folds the spellings that
transliterations vary in (Saraqab/Saraqib), for fuzzy matching.  ``COUNTRY_ALIASES`` are the
country names people write that GeoNames spells otherwise.  Used by :mod:`geo.geocode`.
"""

from __future__ import annotations

import re
import unicodedata

# Apostrophes and the letters that transliterate ayn and hamza ("‘Ayn", "Qā’em", "`Asal"):
# writers drop them or swap one for another, so they are removed.
_APOSTROPHES = "'`´‘’ʼʻʿʾʹ′"
# Separators that a writer may or may not type: "Deir ez-Zor", "Deir ez Zor", "St. Louis".
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_.,/()]+")
# One table for what a name loses after NFKD: accents and Arabic vowel marks (combining
# characters), apostrophes, the tatweel (it only stretches a word); and Arabic and Persian
# spellings of one letter made one.
_FOLD = str.maketrans(
    {
        **{chr(c): None for c in range(0x10000) if unicodedata.combining(chr(c))},
        **dict.fromkeys(_APOSTROPHES + "ـ"),
        **{"ة": "ه", "ى": "ي", "ی": "ي", "ک": "ك"},
    }
)

# The Arabic article in the ways it is transliterated, assimilated ("as-Salamiyah",
# "ash-Shaddadi", "ad-Dana") or not ("al-Bab", "el-Bab"); stripped only from the front of a
# name of two or more words, so "Al Bab" -> "bab" but "Al" stays "al".
_LATIN_ARTICLES = frozenset(
    {"al", "el", "ad", "ed", "adh", "edh", "an", "en", "ar", "er", "as", "es", "ash", "esh"}
    | {"at", "et", "ath", "eth", "az", "ez"}
)
_ARABIC_ARTICLE = "ال"

# Words that say what kind of place a name is, as GED, ACLED and newsroom logs write them
# after the name ("Aleppo town", "Harem district", "Idlib governorate") or, transliterated
# or in Arabic script, before it ("madinat Halab", "qaryat ...", "محافظة إدلب").  Keys are
# normalised (``ة`` is folded to ``ه``).  The value says whether the word names an
# administrative unit: such a name is placed at the unit's namesake town, not its extent.
_TRAILING_DESCRIPTORS = {
    "town": False,
    "city": False,
    "village": False,
    "suburb": False,
    "neighbourhood": False,
    "neighborhood": False,
    "district": True,
    "subdistrict": True,
    "sub district": True,
    "governorate": True,
    "province": True,
    "nahiya": True,
}
_LEADING_DESCRIPTORS = {
    "city of": False,
    "town of": False,
    "village of": False,
    "madinat": False,
    "qaryat": False,
    "baldat": False,
    "مدينه": False,
    "قريه": False,
    "بلده": False,
    "mintaqat": True,
    "muhafazat": True,
    "nahiyat": True,
    "منطقه": True,
    "محافظه": True,
    "ناحيه": True,
}
# Longest first, so that "sub district" is dropped whole, not as "district".
_TRAILING_BY_LENGTH = sorted(_TRAILING_DESCRIPTORS, key=len, reverse=True)
# The article in any position, for comparing transliterations: "Jisr al-Shughur" and
# "Jisr ash Shughur" differ only by how the article was assimilated.
_ANY_ARTICLE = re.compile(
    r"\b(?:" + "|".join(sorted(_LATIN_ARTICLES, key=len, reverse=True)) + r")\b"
)
# Vowels are what transliterations of Arabic disagree on most (Saraqab/Saraqib,
# Menbij/Manbij, Deir/Dayr, Ain/Ayn): e folds to a, o to u, y to i; a word-final h (the ta
# marbuta, Raqqah/Raqqa) and doubled letters go.  Consonants stay, so that the comparison
# still tells villages apart.
_VOWELS = str.maketrans({"e": "a", "o": "u", "y": "i"})
_REPEATS = re.compile(r"(.)\1+")
_FINAL_H = re.compile(r"(?<=[aiu])h\b")


def normalise_name(text: str) -> str:
    """A place name as compared: case-folded, without accents, apostrophes or hyphens.

    Examples
    --------
    >>> normalise_name("  Deir ez-Zor ")
    'deir ez zor'
    >>> normalise_name("‘Ayn al ‘Arab")
    'ayn al arab'
    >>> normalise_name("Şūrān")
    'suran'
    """
    folded = unicodedata.normalize("NFKD", text.casefold()).translate(_FOLD)
    return _SEPARATORS.sub(" ", folded).strip()


def strip_article(key: str) -> str:
    """A normalised name without a leading Arabic article, or ``""`` if it has none.

    Examples
    --------
    >>> strip_article("as salamiyah")
    'salamiyah'
    >>> strip_article("الرقه")
    'رقه'
    >>> strip_article("aleppo")
    ''
    """
    first, _, rest = key.partition(" ")
    if rest and first in _LATIN_ARTICLES:
        return rest
    if key.startswith(_ARABIC_ARTICLE) and len(first) > len(_ARABIC_ARTICLE) + 1:
        return key[len(_ARABIC_ARTICLE) :]
    return ""


def strip_descriptor(key: str) -> tuple[str, str]:
    """A normalised name without a word saying what kind of place it is, and that word.

    ``("", "")`` when the name has no such word, or is nothing but one.

    Examples
    --------
    >>> strip_descriptor("aleppo town")
    ('aleppo', 'town')
    >>> strip_descriptor("jisr al shughur sub district")
    ('jisr al shughur', 'sub district')
    >>> strip_descriptor("madinat halab")
    ('halab', 'madinat')
    >>> strip_descriptor("district")
    ('', '')
    """
    for word in _TRAILING_BY_LENGTH:
        if key.endswith(" " + word) and len(key) > len(word) + 1:
            return key[: -len(word) - 1].rstrip(), word
    for word in _LEADING_DESCRIPTORS:
        if key.startswith(word + " ") and len(key) > len(word) + 1:
            return key[len(word) + 1 :].lstrip(), word
    return "", ""


def is_administrative(descriptor: str) -> bool:
    """True when a descriptor names an administrative unit (district, governorate ...)."""
    return _TRAILING_DESCRIPTORS.get(descriptor, False) or _LEADING_DESCRIPTORS.get(
        descriptor, False
    )


def transliteration_key(key: str) -> str:
    """A normalised name as transliterations of one Arabic name tend to agree on it.

    Articles in any position become ``al``, vowels and ``y`` become ``a`` and doubled
    letters one, so the fuzzy comparison scores what is left: consonants, word shapes.

    Examples
    --------
    >>> transliteration_key("menbij") == transliteration_key("manbij")
    True
    >>> transliteration_key("tell tamer"), transliteration_key("tall tamr")
    ('tal tamar', 'tal tamr')
    >>> transliteration_key("jisr ash shughur") == transliteration_key("jisr al shughur")
    True
    """
    folded = _ANY_ARTICLE.sub("al", key).translate(_VOWELS)
    return _FINAL_H.sub("", _REPEATS.sub(r"\1", folded))


#: Country names people write that GeoNames spells otherwise (keys normalised).
COUNTRY_ALIASES = {
    "syrian arab republic": "SY",
    "turkiye": "TR",
    "iran islamic republic of": "IR",
    "islamic republic of iran": "IR",
    "russian federation": "RU",
    "state of palestine": "PS",
    "palestine": "PS",
    "occupied palestinian territory": "PS",
    "gaza strip": "PS",
    "west bank": "PS",
    "democratic republic of congo": "CD",
    "dr congo": "CD",
    "drc": "CD",
    "congo kinshasa": "CD",
    "congo brazzaville": "CG",
    "cote divoire": "CI",
    "myanmar burma": "MM",
    "burma": "MM",
    "united kingdom of great britain and northern ireland": "GB",
    "uk": "GB",
    "usa": "US",
    "united states of america": "US",
    "netherlands": "NL",
    "czech republic": "CZ",
    "korea republic of": "KR",
    "republic of korea": "KR",
    "korea democratic peoples republic of": "KP",
    "lao peoples democratic republic": "LA",
    "viet nam": "VN",
    "republic of moldova": "MD",
    "moldova republic of": "MD",
    "united republic of tanzania": "TZ",
    "tanzania united republic of": "TZ",
    "venezuela bolivarian republic of": "VE",
    "bolivia plurinational state of": "BO",
    "libyan arab jamahiriya": "LY",
    "yemen republic of": "YE",
    "eswatini swaziland": "SZ",
    "swaziland": "SZ",
    "macedonia": "MK",
    "east timor": "TL",
    "timor leste": "TL",
    "cape verde": "CV",
}
