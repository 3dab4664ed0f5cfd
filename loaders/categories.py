"""The words people use for what a node is and how two nodes relate, as civicgraph's labels
and relationship types: the one place a user's ``CSO`` becomes ``Organization`` and
``partner`` becomes ``PARTNER_OF``.

A value is read, first rule that applies:

1. the user's own map (``--map CSO=Organization``, ``map:`` in a mapping YAML), compared
   case- and accent-insensitively;
2. a label or type of the schema, in any case, singular or plural (``cities``, ``Réseaux``
   are not labels; ``city``, ``Organizations`` are);
3. the short built-in table :data:`BUILT_IN` (CSO, NGO, association → Organization; commune,
   ville → City; parti → Party; réseau → Network);
4. for a relationship type only: the one type whose name starts with the value's words
   (``partner`` → ``PARTNER_OF``, ``member`` → ``MEMBER_OF``), when only one does.

Anything else is left as written, for validation to refuse with the allowed names.

>>> cats = Categories({"asso": "Organization"})
>>> cats.label("CSO"), cats.label("Cities"), cats.label("réseau"), cats.label("Asso")
('Organization', 'City', 'Network', 'Organization')
>>> cats.rel_type("partner"), cats.rel_type("member of"), cats.rel_type("friend")
('PARTNER_OF', 'MEMBER_OF', 'friend')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from civicgraph.graph.errors import ConfigurationError
from civicgraph.graph.find import fold
from civicgraph.graph.model import load_model

__all__ = ["BUILT_IN", "Categories", "parse_map", "slug"]

#: Words for a node's kind that are no label's name (compared as :func:`_key` spells them).
BUILT_IN: Mapping[str, str] = {
    "cso": "Organization",
    "ngo": "Organization",
    "association": "Organization",
    "commune": "City",
    "ville": "City",
    "parti": "Party",
    "reseau": "Network",
}


def _key(value: str) -> str:
    """*value* without case, accents or surrounding spaces, and in the singular.

    >>> _key(" Réseaux "), _key("Cities"), _key("CSOs"), _key("Party")
    ('reseau', 'city', 'cso', 'party')
    """
    text = re.sub(r"[\s_-]+", " ", fold(value))
    if text.endswith("ies") and len(text) > 4:
        return text[:-3] + "y"
    if text.endswith("eaux"):
        return text[:-1]
    if text.endswith("s") and not text.endswith("ss") and len(text) > 3:
        return text[:-1]
    return text


def slug(text: str) -> str:
    """An id's part made from a name: lower case, no accents, words joined by ``-``.

    >>> slug("Réseau Accueil"), slug("  La Cimade "), slug("ANVITA (France)")
    ('reseau-accueil', 'la-cimade', 'anvita-france')
    """
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def parse_map(items: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``WORD=Label`` items (the ``--map`` option), or a mapping, checked against the schema.

    >>> parse_map(["CSO=Organization", "partner = PARTNER_OF"])
    {'CSO': 'Organization', 'partner': 'PARTNER_OF'}

    Raises
    ------
    ConfigurationError
        An item without ``=``, or a value that is no label or relationship type.
    """
    if not items:
        return {}
    model = load_model()
    pairs: list[tuple[str, str]] = []
    if isinstance(items, Mapping):
        pairs = [(str(k), str(v)) for k, v in items.items()]
    else:
        for item in items:
            word, sep, value = item.partition("=")
            if not sep or not word.strip():
                raise ConfigurationError(
                    f"--map {item!r}: write WORD=Label, e.g. CSO=Organization", field="map"
                )
            pairs.append((word.strip(), value.strip()))
    out: dict[str, str] = {}
    for word, value in pairs:
        if value not in model.labels and value not in model.relationships:
            raise ConfigurationError(
                f"map {word}={value}: {value!r} is no label or relationship type; labels: "
                f"{', '.join(model.labels)}; types: {', '.join(model.types)}",
                field="map",
            )
        out[word] = value
    return out


class Categories:
    """Reads a user's category and relationship words as labels and types (module doc)."""

    def __init__(self, user: Mapping[str, str] | None = None) -> None:
        model = load_model()
        #: the user's own words, as given
        self.user: dict[str, str] = dict(user or {})
        self._user = {_key(k): v for k, v in self.user.items()}
        self._labels = {_key(x): x for x in model.labels}
        self._types = {_key(x): x for x in model.types}
        self._type_names = model.types
        # A file repeats a handful of words on every row: each is read once.
        self._label_of: dict[str, str] = {}
        self._type_of: dict[str, str] = {}

    def label(self, value: str) -> str:
        """The label *value* stands for, or *value* itself when none (see the module doc)."""
        found = self._label_of.get(value)
        if found is None:
            found = self._label_of[value] = self._label(value)
        return found

    def rel_type(self, value: str) -> str:
        """The relationship type *value* stands for, or *value* itself when none is the one."""
        found = self._type_of.get(value)
        if found is None:
            found = self._type_of[value] = self._rel_type(value)
        return found

    def _label(self, value: str) -> str:
        key = _key(value)
        found = self._user.get(key) or self._labels.get(key) or BUILT_IN.get(key)
        return found if found is not None else value

    def _rel_type(self, value: str) -> str:
        key = _key(value)
        found = self._user.get(key) or self._types.get(key)
        if found is not None:
            return found
        words = key.upper().replace(" ", "_")
        starting = [t for t in self._type_names if t.startswith(words + "_")]
        return starting[0] if len(starting) == 1 else value

    def label_hint(self) -> str:
        """What to say after an unknown category word."""
        return "or say which with --map WORD=Label (map: in a mapping file)"
