"""A small RDF writer: nodes in a fixed order, serialized to Turtle, RDF/XML and JSON-LD by string templating.

Why not rdflib's serializers: its in-memory store iterates sets, so the order of its output changes with
Python's hash seed (builds would not be byte-identical), and it costs ~50 µs per triple, which a
data.gouv.fr-sized catalogue (millions of triples) cannot afford. Here a document is a sequence of
:class:`Node` values (a subject and its ``(predicate, object)`` pairs, in insertion order), written in that
order; the three formats describe the same graph (the tests parse each one back with rdflib, compare them and
run the DCAT-AP SHACL shapes on the result).

Escaping: literals go through :func:`clean` (characters XML 1.0 cannot carry are dropped, in every format, so
that the three documents stay the same graph); IRIs go through :func:`iri` (characters that are not allowed
in an IRI are percent-encoded). Predicates and classes are CURIEs of :data:`PREFIXES`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

PREFIXES: dict[str, str] = {
    "adms": "http://www.w3.org/ns/adms#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcatap": "http://data.europa.eu/r5r/",
    "dct": "http://purl.org/dc/terms/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "gsp": "http://www.opengis.net/ont/geosparql#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "locn": "http://www.w3.org/ns/locn#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": "http://spdx.org/rdf/terms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')


def clean(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot represent (C0 controls, lone surrogates, U+FFFE/F)."""
    return _NOT_XML.sub("", text)


def iri(value: str) -> str:
    """An IRI safe in every syntax: spaces, controls and ``<>"{}|^`\\`` percent-encoded."""
    return _NOT_IRI.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), clean(value))


@dataclass(frozen=True, slots=True)
class IRI:
    value: str  # already passed through iri()


@dataclass(frozen=True, slots=True)
class BNode:
    label: str  # letters, digits, hyphens; starts with a letter


@dataclass(frozen=True, slots=True)
class Literal:
    value: str
    lang: str | None = None
    datatype: str | None = None  # a CURIE such as "xsd:date"


Term = IRI | BNode | Literal


def text(value: str, lang: str | None = None) -> Literal:
    return Literal(clean(value), lang)


def typed(value: str, datatype: str) -> Literal:
    return Literal(clean(value), None, datatype)


@dataclass(slots=True)
class Node:
    """A subject, its classes (CURIEs) and its ``(predicate CURIE, object)`` pairs."""

    subject: IRI | BNode
    types: list[str] = field(default_factory=list)
    props: list[tuple[str, Term]] = field(default_factory=list)

    def add(self, predicate: str, obj: Term | None) -> None:
        if obj is not None:
            self.props.append((predicate, obj))


def expand(curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return PREFIXES[prefix] + local


# --- Turtle -------------------------------------------------------------------------------------------------

_TTL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_TTL_SPECIAL = re.compile(r'[\\"\n\r\t]')


def _ttl_term(term: Term) -> str:
    if isinstance(term, IRI):
        return f"<{term.value}>"
    if isinstance(term, BNode):
        return f"_:{term.label}"
    quoted = '"' + _TTL_SPECIAL.sub(lambda m: _TTL_ESCAPES[m.group()], term.value) + '"'
    if term.lang:
        return f"{quoted}@{term.lang}"
    if term.datatype:
        return f"{quoted}^^{term.datatype}"
    return quoted


def turtle_node(node: Node) -> str:
    lines: list[str] = []
    if node.types:
        lines.append("a " + ", ".join(node.types))
    previous = None
    for predicate, obj in node.props:
        if predicate == previous:
            lines[-1] += ", " + _ttl_term(obj)
        else:
            lines.append(f"{predicate} {_ttl_term(obj)}")
        previous = predicate
    return _ttl_term(node.subject) + " " + " ;\n    ".join(lines) + " .\n"


_TURTLE_HEADER = "".join(f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in PREFIXES.items())


# --- RDF/XML ------------------------------------------------------------------------------------------------


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _xml_attr(value: str) -> str:
    """An IRI as a quoted attribute: iri() already percent-encoded ``<>"`` and whitespace, ``&`` is left."""
    return '"' + value.replace("&", "&amp;") + '"'


_EXPANDED: dict[str, str] = {}


def _expanded_attr(curie: str) -> str:
    attr = _EXPANDED.get(curie)
    if attr is None:
        attr = _EXPANDED[curie] = _xml_attr(expand(curie))
    return attr


def xml_node(node: Node) -> str:
    if isinstance(node.subject, IRI):
        parts = [f"  <rdf:Description rdf:about={_xml_attr(node.subject.value)}>\n"]
    else:
        parts = [f'  <rdf:Description rdf:nodeID="{node.subject.label}">\n']
    for curie in node.types:
        parts.append(f"    <rdf:type rdf:resource={_expanded_attr(curie)}/>\n")
    for predicate, obj in node.props:
        if isinstance(obj, IRI):
            parts.append(f"    <{predicate} rdf:resource={_xml_attr(obj.value)}/>\n")
        elif isinstance(obj, BNode):
            parts.append(f'    <{predicate} rdf:nodeID="{obj.label}"/>\n')
        elif obj.lang:
            parts.append(f'    <{predicate} xml:lang="{obj.lang}">{_xml_text(obj.value)}</{predicate}>\n')
        elif obj.datatype:
            datatype = _expanded_attr(obj.datatype)
            parts.append(f"    <{predicate} rdf:datatype={datatype}>{_xml_text(obj.value)}</{predicate}>\n")
        else:
            parts.append(f"    <{predicate}>{_xml_text(obj.value)}</{predicate}>\n")
    parts.append("  </rdf:Description>\n")
    return "".join(parts)


_XML_HEADER = (
    '<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF'
    + "".join(f'\n    xmlns:{prefix}="{namespace}"' for prefix, namespace in PREFIXES.items())
    + ">\n"
)


# --- JSON-LD ------------------------------------------------------------------------------------------------


def _jsonld_term(term: Term) -> dict[str, str]:
    if isinstance(term, IRI):
        return {"@id": term.value}
    if isinstance(term, BNode):
        return {"@id": f"_:{term.label}"}
    if term.lang:
        return {"@value": term.value, "@language": term.lang}
    if term.datatype:
        return {"@value": term.value, "@type": term.datatype}
    return {"@value": term.value}


def jsonld_node(node: Node) -> dict:
    subject = node.subject.value if isinstance(node.subject, IRI) else f"_:{node.subject.label}"
    out: dict = {"@id": subject}
    if node.types:
        out["@type"] = list(node.types)
    for predicate, obj in node.props:
        out.setdefault(predicate, []).append(_jsonld_term(obj))
    return out


_JSONLD_HEADER = json.dumps({"@context": PREFIXES}, indent=1)[:-2] + ',\n "@graph": [\n'


@dataclass(frozen=True)
class Format:
    """How one syntax writes a document: a header, each node (knowing whether it is the first), a footer."""

    header: str
    node: Callable[[Node, bool], str]
    footer: str
    media_type: str


FORMATS: dict[str, Format] = {
    "ttl": Format(_TURTLE_HEADER, lambda node, first: "\n" + turtle_node(node), "", "text/turtle"),
    "rdf": Format(_XML_HEADER, lambda node, first: xml_node(node), "</rdf:RDF>\n", "application/rdf+xml"),
    "jsonld": Format(
        _JSONLD_HEADER,
        lambda node, first: (
            ("  " if first else ",\n  ") + json.dumps(jsonld_node(node), ensure_ascii=False, separators=(",", ":"))
        ),
        "\n ]\n}\n",
        "application/ld+json",
    ),
}


def serialize(nodes: Iterable[Node], fmt: str) -> bytes:
    """One document of ``nodes`` in ``fmt`` (``ttl``, ``rdf`` or ``jsonld``)."""
    return serialize_all(nodes, (fmt,))[fmt]


def serialize_all(
    nodes: Iterable[Node], formats: Iterable[str] = tuple(FORMATS), extra: dict[str, list[Node]] | None = None
) -> dict[str, bytes]:
    """The documents of ``nodes`` in every format, in one pass over the nodes (a generator is fine).

    ``extra`` adds nodes to one format's document only (a paged catalogue links pages of its own syntax).
    """
    chosen = {fmt: FORMATS[fmt] for fmt in formats}
    parts: dict[str, list[str]] = {fmt: [f.header] for fmt, f in chosen.items()}
    first = True
    for node in nodes:
        for fmt, f in chosen.items():
            parts[fmt].append(f.node(node, first))
        first = False
    for fmt, f in chosen.items():
        parts[fmt] += [f.node(node, first) for node in (extra or {}).get(fmt, [])]
    return {fmt: "".join([*parts[fmt], f.footer]).encode("utf-8") for fmt, f in chosen.items()}
