"""TEMPORARY (issue 19): the hand-written rule catalogue, for rule ids not yet declared in ``table.REGISTRY``.

``nir.rules.catalogue`` is generated from the rule declarations (``table.REGISTRY``: the rows of the
decision tables and ``declare()``). While the rule modules are being converted, an id the engine emits
but no module declares yet is taken from this hand list, and the generated catalogue and documents mark
it «not yet declared». Once every rule module declares its ids, delete this file and the fallback block
in ``nir.rules.catalogue`` (``tests/rules/test_rule_catalogue.py`` then asserts that nothing falls back).
"""

from __future__ import annotations

from dataclasses import dataclass

V, U, PARTLY = "V", "U", "V/U"  # verified, unverified, verified in part (docs/rules.md «status»)


@dataclass(frozen=True)
class HandEntry:
    ids: tuple[str, ...]
    title: str
    source: str
    status: str

    @property
    def verified(self) -> bool:
        return self.status == V


def _r(ids: str, title: str, source: str, status: str = V) -> HandEntry:
    return HandEntry(tuple(i.strip() for i in ids.split(",")), title, source, status)


# Grouped as the hand catalogue was: (heading, rules).
HAND_RULES: tuple[tuple[str, tuple[HandEntry, ...]], ...] = (
    (
        "Hvilken lov gjelder (if. § 72)",
        (
            _r(
                "law_split",
                "Første tillatelse som gir rettigheter eller plikter (ikke nordisk/EØS), innvilget før "
                "01.01.2021, gir introduksjonsloven; ellers gjelder integreringsloven.",
                "if. §§ 71, 72",
            ),
            _r(
                "law_split_applied_from_abroad",
                "Tillatelse innvilget før 2021, men søkt fra utlandet og ankommet "
                "01.01.2021 eller senere: integreringsloven (søkt fra utlandet utledes av ankomstdatoen).",
                "if. § 72",
                PARTLY,
            ),
        ),
    ),
    (
        "Introduksjonsprogram: hvem (il. § 8, kap. 6A, if. § 43h)",
        (
            _r(
                "s08_right_and_duty",
                "Tillatelse etter § 9 bokstav a–e, 18–55 år på tillatelsens vedtaksdato og bosatt "
                "etter avtale: rett og plikt.",
                "il. § 8 første ledd",
            ),
            _r(
                "s08_right_and_duty_f_g",
                "Tillatelse etter § 9 bokstav f eller g: bosetting etter avtale kreves ikke, "
                "men personen må bo i en kommune.",
                "il. § 8 andre ledd",
            ),
            _r(
                "s08_under_age",
                "Under 18 år da tillatelsen ble innvilget: ingen rett eller plikt (man kan ikke vokse inn i gruppen).",
                "il. § 8 første ledd",
            ),
            _r(
                "s08_over_age",
                "Over øvre aldersgrense: kan-gruppe når personen bor i en kommune, ellers ingen.",
                "il. § 8 tredje ledd",
                U,
            ),
            _r(
                "s08_settled_without_agreement",
                "Tillatelse etter § 9 bokstav a–e, bosatt uten avtale: kan-gruppe.",
                "il. § 8 tredje ledd",
                U,
            ),
            _r(
                "s08_not_settled, s08_not_resident",
                "Ikke bosatt i en kommune: ingen rett eller plikt.",
                "il. § 8 første ledd",
            ),
            _r(
                "s08_family_of_others",
                "Familieinnvandrer med annen referanseperson enn i § 9 bokstav f, 18 år eller "
                "eldre og bosatt i en kommune: kan-gruppe, ellers ingen.",
                "il. § 8 tredje ledd",
                U,
            ),
            _r(
                "s08_eea, s08_no_s9_permit, s08_no_permit",
                "Nordiske borgere og EØS-borgere, arbeidstillatelse eller ingen tillatelse: ingen rett eller plikt.",
                "il. § 8 femte ledd; § 8",
            ),
            _r(
                "ch6a_right",
                "Første tillatelse etter utl. § 34 innvilget før 01.01.2026: rett (kap. 6A), på vilkårene "
                "om alder og bosetting i § 8.",
                "il. kap. 6A; 004",
            ),
            _r(
                "ch6a_repealed_right_and_duty",
                "Tillatelse etter utl. § 34 innvilget 01.01.2026 eller senere: de ordinære reglene i § 8.",
                "004 (Opphevelse …)",
            ),
            _r(
                "s43h_intro",
                "Tidligere tillatelse etter utl. § 34 (før 2026) med vedtak om deltakelse før 01.01.2026, "
                "nå en annen tillatelse: rett når vedtaket gjaldt introduksjonsprogram, ellers ingen.",
                "if. § 43h; 004",
            ),
            _r(
                "ch6a_superseded",
                "Tillatelse etter utl. § 34 før 2026 uten slikt vedtak, deretter en annen "
                "tillatelse: den nye tillatelsen vurderes etter de ordinære reglene.",
                "if. § 43h (motsetningsvis)",
                U,
            ),
            _r(
                "loss_due_to_work_closes",
                "Gyldig vedtak om bortfall av rett og plikt pga. arbeid uten vedtak om "
                "deltakelse: ingen; avsluttet av Regelmotor (Avbrutt, vedtaksdatoen).",
                "il. § 8 fjerde ledd; 004",
            ),
            _r(
                "loss_due_to_work_right_returned",
                "Gyldig vedtak om deltakelse datert etter bortfallet: kategorien som "
                "uten bortfallet, ingen avslutning.",
                "il. § 8 fjerde ledd andre punktum; 004",
                U,
            ),
        ),
    ),
    (
        "Introduksjonsprogram: hvor lenge (il. §§ 13–14, if. §§ 10, 17–19)",
        (
            _r(
                "s13_14_deadline",
                "Gjennomføringsfrist: startdato i første vedtak om deltakelse + antall måneder for sluttmålet − 1 dag.",
                "il. §§ 13–14; 004",
                PARTLY,
            ),
            _r(
                "s13_14_extension",
                "Registrert forlengelse: fristen regnes med sluttmålets måneder + forlengelsen.",
                "il. § 14; 004",
                PARTLY,
            ),
            _r(
                "if_s10_s19_absence_workdays",
                "Virkedager (mandag–fredag unntatt helligdager) med gyldig fravær, fri og "
                "permisjon, slått sammen slik at en dag teller én gang.",
                "if. §§ 10, 19; 004",
            ),
            _r(
                "if_s10_s19_absence_extension",
                "Over terskelen (10 virkedager): alle dagene legges til fristen som virkedager.",
                "if. §§ 10, 19; 004",
            ),
            _r(
                "intro_deadline_none",
                "Ingen frist: avsluttet, uten vedtak om deltakelse eller uten sluttmål.",
                "regelmotor.md § 4",
            ),
        ),
    ),
    (
        "Opplæring i norsk og samfunnskunnskap (il. §§ 26–28, 32)",
        (
            _r(
                "s27_right_and_duty",
                "Tillatelse etter § 9 bokstav a–g (unntatt utl. § 34) eller familie til norske, "
                "18 år eller eldre og under 67 år ved innvilgelse: rett og plikt.",
                "il. §§ 26, 27",
                U,
            ),
            _r("s28_duty", "Arbeidstillatelse: plikt.", "il. §§ 26, 28", U),
            _r(
                "ch6a_norwegian_right",
                "Tillatelse etter utl. § 34: rett (beholdes etter 01.01.2026).",
                "il. kap. 6A; 004",
            ),
            _r(
                "ch6a_norwegian_right_kept, s43h_norwegian",
                "Overgang fra utl. § 34 til en annen tillatelse med vedtak "
                "om norskopplæring fattet under utl. § 34 (eller § 43h): rett.",
                "004; if. § 43h",
            ),
            _r(
                "s26_under_age, s26_over_age, s26_ended_at_67",
                "Under 18 år eller 67 år eller eldre ved innvilgelse: ingen; fra 67-årsdagen: ingen.",
                "il. § 26",
            ),
            _r("s26_eea, s26_no_permit", "Nordiske borgere og EØS-borgere, eller ingen tillatelse: ingen.", "il. § 26"),
            _r(
                "s32_deadline",
                "Frist: 36 måneder (18 med videregående eller høyere utdanning) fra tillatelsens "
                "vedtaksdato, eller ankomst om den er senere, − 1 dag.",
                "il. § 32",
                PARTLY,
            ),
            _r(
                "norwegian_leave_workdays, s32_leave_extension",
                "Bare permisjon forlenger fristen, regnet fra første virkedag og uten terskel.",
                "il. § 32; 004",
            ),
            _r("s26_deadline_capped_at_67", "Fristen går aldri forbi dagen før 67-årsdagen.", "il. § 26", U),
            _r("norwegian_deadline_none", "Ingen frist: ingen rett eller plikt til opplæring i norsk.", "il. § 32"),
        ),
    ),
    (
        "Avvik (rapporten om avvik i registrering av sluttmål, 004)",
        (
            _r("final_goal_missing", "Vedtak om deltakelse, men ikke registrert sluttmål.", "004"),
            _r(
                "final_goal_2026_before_2026_start",
                "Programmet startet før sluttmålkodens gyldig fra-dato (en 2026-kode før 01.01.2026).",
                "004",
            ),
            _r(
                "final_goal_expired",
                "Programmet startet etter sluttmålkodens gyldig til-dato (gamle koder: etter 31.12.2025).",
                "004",
            ),
        ),
    ),
    (
        "Regelbrudd (registreringer som ikke legges til grunn)",
        (
            _r(
                "loss_due_to_work_after_participation",
                "Vedtak om bortfall pga. arbeid når det finnes vedtak om deltakelse (samme dag eller tidligere).",
                "004",
            ),
            _r(
                "loss_due_to_work_not_in_force",
                "Vedtak om bortfall pga. arbeid datert før regelen gjaldt (01.01.2026).",
                "il. § 8 fjerde ledd",
            ),
            _r(
                "loss_due_to_work_not_in_target_group",
                "Vedtak om bortfall pga. arbeid for en person uten rett og plikt.",
                "il. § 8 fjerde ledd",
            ),
            _r(
                "participation_after_two_years",
                "Vedtak om deltakelse to år eller mer etter at personen ble bosatt med tillatelse etter § 9.",
                "il. § 8 første ledd tredje punktum, tredje ledd",
            ),
            _r("participation_without_start_date", "Vedtak om deltakelse uten startdato.", "regelmotor.md § 4"),
            _r(
                "decision_type_unknown, decision_type_not_in_scheme, decision_type_not_valid_on_date, "
                "decision_end_before_start",
                "Generelle regler for vedtak (kodeverket Vedtakstype).",
                "regelmotor.md § 5",
            ),
            _r(
                "extension_not_allowed, extension_exceeds_maximum, extension_without_final_goal",
                "Forlengelse på et "
                "sluttmål som ikke kan forlenges, utover tabellen eller uten sluttmål (forlengelsen legges ikke til "
                "grunn).",
                "il. §§ 13–14",
            ),
            _r("final_goal_unknown", "Sluttmålkoden finnes ikke i kodeverket.", "regelmotor.md § 4"),
            _r(
                "absence_kind_unknown, absence_end_before_start, absence_date_out_of_range",
                "Ugyldig periode med fravær, fri eller permisjon (legges ikke til grunn).",
                "regelmotor.md § 4",
            ),
        ),
    ),
    (
        "Introduksjonsloven (opphevet, gjelder etter if. § 72)",
        (
            _r(
                "introduksjonsloven_s2_target_group",
                "Målgruppe som il. § 8, med introduksjonslovens aldersgrenser.",
                "introduksjonsloven § 2",
                U,
            ),
            _r(
                "introduksjonsloven_s5_deadline",
                "Frist: 24 måneder + forlengelse inntil 12 + godkjent permisjon i virkedager, uten terskel.",
                "introduksjonsloven § 5",
                U,
            ),
            _r(
                "introduksjonsloven_s5_leave_workdays",
                "Virkedager med godkjent permisjon legges til programtiden.",
                "introduksjonsloven § 5",
                U,
            ),
            _r(
                "introduksjonsloven_s17_norwegian",
                "Rett og plikt eller plikt til norskopplæring, 16 år eller eldre og under 67 år; ingen frist beregnes.",
                "introduksjonsloven § 17",
                U,
            ),
        ),
    ),
)
