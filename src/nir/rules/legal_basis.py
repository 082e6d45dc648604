"""Legal bases as data: each rule names the provision it applies, once.

A :class:`LegalBasis` is an instrument (act, regulation or the register's own
specification), a section and optionally a paragraph (*ledd*), letter and
sentence (*punktum*). It renders the Norwegian citation used in explanations
(``il. § 8 første ledd``) and a Lovdata link, and says whether the reading has
been verified against the text of the law (``verified``); a rule resting on an
unverified basis yields results flagged as unverified (regelmotor.md: rules
marked "unverified" are implemented from guidance as best understood).

The catalogue on the Regelmotor page, the rule tables of ``docs/rules.md`` and
the per-paragraph documents in ``docs/regler/`` are generated from these
declarations (``nir.rules.catalogue``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

ORDINALS = ("første", "andre", "tredje", "fjerde", "femte", "sjette", "sjuende", "åttende", "niende", "tiende")


@dataclass(frozen=True, slots=True)
class Instrument:
    """A source of law (or of the register's own rules): its short citation, full name and Lovdata page."""

    key: str
    short: str
    name: str
    url: str = ""
    section_sign: bool = True  # cited "il. § 8"; False for documents cited by name ("004")

    def __str__(self) -> str:
        return self.short


IL = Instrument(
    "il", "il.", "Lov om integrering gjennom opplæring, utdanning og arbeid (integreringsloven)",
    "https://lovdata.no/lov/2020-11-06-127",
)  # fmt: skip
IF = Instrument(
    "if", "if.", "Forskrift til integreringsloven (integreringsforskriften)",
    "https://lovdata.no/forskrift/2020-11-20-2442",
)  # fmt: skip
INTROL = Instrument(
    "introl", "introl.", "Lov om introduksjonsordning og norskopplæring for nyankomne innvandrere "
    "(introduksjonsloven), opphevet 2021-01-01", "https://lovdata.no/lov/2003-07-04-80",
)  # fmt: skip
UTL = Instrument(
    "utl", "utl.", "Lov om utlendingers adgang til riket og deres opphold her (utlendingsloven)",
    "https://lovdata.no/lov/2008-05-15-35",
)  # fmt: skip
NIR_004 = Instrument(
    "004", "004", "IMDi: Webinar om NIR (registreringspraksis og rapporter)", "", section_sign=False
)  # fmt: skip
REGELMOTOR = Instrument("regelmotor", "regelmotor.md", "NIRs regelmotor-spesifikasjon", "", section_sign=False)

INSTRUMENTS = {i.key: i for i in (IL, IF, INTROL, UTL, NIR_004, REGELMOTOR)}


@dataclass(frozen=True, slots=True)
class LegalBasis:
    """One provision: ``LegalBasis(IL, "8", 1)`` is il. § 8 første ledd.

    ``section`` is the paragraph number as written (``"8"``, ``"43 h"``, ``"37 d"``) or, for an instrument
    cited by name, the part of it (``"§ 4"``); ``paragraph`` is the *ledd* (1-based), ``letter`` a letter
    and ``sentence`` the *punktum*. ``note`` is added in parentheses (``"gjelder ikke: …"``).
    """

    instrument: Instrument
    section: str
    paragraph: int | None = None
    letter: str | None = None
    sentence: int | None = None
    verified: bool = True
    note: str = ""

    def cite(self) -> str:
        """The Norwegian citation: ``il. § 8 første ledd tredje punktum``."""
        ins = self.instrument
        parts = [f"{ins.short} § {self.section}" if ins.section_sign else f"{ins.short} {self.section}".strip()]
        if self.paragraph:
            parts.append(f"{ORDINALS[self.paragraph - 1]} ledd")
        if self.letter:
            parts.append(f"bokstav {self.letter}")
        if self.sentence:
            parts.append(f"{ORDINALS[self.sentence - 1]} punktum")
        text = " ".join(parts)
        return f"{text} ({self.note})" if self.note else text

    @property
    def url(self) -> str:
        """The Lovdata page of the section (``…/§8``), or the instrument's page."""
        ins = self.instrument
        if not ins.url:
            return ""
        return f"{ins.url}/§{self.section.replace(' ', '')}" if ins.section_sign else ins.url

    @property
    def key(self) -> str:
        """A file-name key of the section: ``il-08``, ``if-43h``; the generated document per paragraph."""
        sec = self.section.replace(" ", "").replace("§", "").lower()
        digits = "".join(ch for ch in sec if ch.isdigit())
        rest = sec[len(digits) :] if sec.startswith(digits) else ""
        if digits:
            return f"{self.instrument.key}-{int(digits):02d}{rest}"
        return f"{self.instrument.key}-{sec}" if sec else self.instrument.key

    def unverified(self) -> LegalBasis:
        return replace(self, verified=False)

    def __str__(self) -> str:
        return self.cite()


@lru_cache(maxsize=4096)  # explanations cite the same few bases for every person
def cite(*bases: LegalBasis) -> str:
    """Several provisions as one source text: ``il. § 8 første ledd; il. § 8 andre ledd``. Whole sections of
    one instrument in a row are cited together, as the law is: ``if. §§ 10 og 19``, ``il. §§ 26, 27 og 28``."""
    out: list[str] = []
    run: list[LegalBasis] = []

    def flush() -> None:
        if len(run) == 1:
            out.append(run[0].cite())
        elif run:
            sections = [b.section for b in run]
            out.append(f"{run[0].instrument.short} §§ {', '.join(sections[:-1])} og {sections[-1]}")
        run.clear()

    for b in bases:
        whole = b.instrument.section_sign and not (b.paragraph or b.letter or b.sentence or b.note)
        if whole and run and run[0].instrument == b.instrument:
            run.append(b)
            continue
        flush()
        if whole:
            run.append(b)
        else:
            out.append(b.cite())
    flush()
    return "; ".join(out)
