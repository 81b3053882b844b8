"""Write a synthetic cptref library of N records, plus a copy of the real records, for benchmarks.

The output is a data directory in the real format (``procedures/<CODE>.yaml``, ``sources.yaml``,
``families.yaml``) that ``cptref validate`` accepts with no errors and no warnings:

- N synthetic records with realistic text lengths (titles 40-100 characters, descriptors 200-500,
  lay summaries 150-400, and about one record in eight with the full plain-language sections),
  synonyms, add-on codes (about 15%, each naming 1-20 primaries), ``includes`` / ``report_with`` /
  ``not_with`` rules (imaging guidance and supervision and interpretation among them) that name
  other synthetic codes, Medicare values, history, related codes, deleted codes with their
  replacements, and a few families whose rules every member inherits;
- every real record, source and family of the shipped data (``data/`` of this checkout), copied
  unchanged, so ``cptref show 47555`` and the real search queries work on the result.

Synthetic codes never collide with real ones: they are drawn from 1xxxx-3xxxx, 6xxxx, 8xxxx-9xxxx,
``0nnnT`` / ``0nnnU`` and ``nnnnF`` (past 65,000 records, also from 00100-01999 and the hundreds
of 4xxxx, 5xxxx and 7xxxx that hold no real code: up to about 102,000), and never name a real
code. Words come from a medical-ish vocabulary of a few thousand words built here (anatomy,
combining forms, procedures, approaches, devices, imaging, lay words), drawn with a Zipf-like
frequency. The output is a pure function of N and the seed.

    .venv/bin/python bench/gen_library.py /tmp/lib20k                 # 20,000 records
    .venv/bin/python bench/gen_library.py /tmp/lib100k --records 100000
    .venv/bin/python bench/gen_library.py /tmp/lib2k --records 2000 --seed 7
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import re
import shutil
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REAL_DATA = Path(__file__).resolve().parent.parent / "data"
DEFAULT_RECORDS = 20_000
DEFAULT_SEED = 20260101
WIDTH = 100
"""Folded text is wrapped to this many characters, as the real records are."""

# --- vocabulary ----------------------------------------------------------------------------------

ROOTS = """
abdomino acromio adeno adreno amnio angio aorto appendico arterio arthro atrio blepharo broncho
bursa capsulo cardio carpo ceco cephalo cerebro cervico cholangio chole cholecysto choledocho
chondro colo colpo conjunctivo corneo costo cranio cysto dacryo dermato disco duodeno encephalo
endometrio entero epididymo episio esophago faci femoro fibro gastro gingivo glosso hemato hepatico
hepato hernio humero hystero ileo ilio irido jejuno kerato labio lacrimo laparo laryngo ligamento
lipo litho lobo lympho mammo mandibulo masto maxillo meningo menisco metacarpo metatarso myelo myo
myringo naso nephro neuro oculo odonto omphalo onycho oophoro ophthalmo orchio oro osteo oto palato
pancreato parathyroido patello pelvi pericardio perineo peritoneo phalango pharyngo phlebo phreno
pleuro pneumo procto prostato pyelo pyloro radio recto retino rhino sacro salpingo scapulo sclero
sialo sigmoido sinuso spleno spondylo sterno stomato synovio tarso teno thoraco thrombo thymo thyro
tibio tonsillo tracheo tympano ulno uretero urethro utero uvulo vagino valvulo varico vaso veno
ventriculo vesico vitreo vulvo
"""
SUFFIXES = """
tomy ectomy ostomy plasty scopy graphy gram rrhaphy pexy lysis centesis desis tripsy clasis
plication
"""
ADJ_SUFFIXES = "scopic tomic plastic graphic"
ANATOMY = """
abdomen acetabulum adrenal ampulla ankle anus aorta appendix arm artery atrium axilla back bladder
bone brain breast bronchus bursa calf canal capsule carotid cartilage cecum cervix cheek chest
clavicle coccyx colon conjunctiva cord cornea cyst diaphragm disc duct duodenum ear elbow
endometrium epididymis esophagus eye eyelid face fascia femur fibula finger foot forearm gallbladder
ganglion gland groin gum hand head heart heel hip humerus ileum ilium iris jaw jejunum joint kidney
knee lacrimal larynx leg lens ligament lip liver lobe lung lymph mandible maxilla mediastinum
membrane meniscus mouth muscle nail nasal neck nerve nipple nose orbit ovary palate pancreas patella
pelvis penis pericardium perineum peritoneum pharynx pleura prostate pylorus radius rectum retina rib
sacrum scalp scapula sclera scrotum septum shoulder sinus skin skull spine spleen sternum stomach
tendon testis thigh thorax throat thumb thymus thyroid tibia toe tongue tonsil trachea tube tympanum
ulna ureter urethra uterus uvula vagina valve vein ventricle vertebra vessel vulva wrist tract
stricture tissue segment wall lumen sphincter fistula graft anastomosis junction pouch
"""
ADJECTIVES = """
abdominal acetabular adrenal ampullary anal aortic appendiceal arterial articular atrial axillary
biliary bronchial capsular cardiac carotid cerebral cervical cholangial colonic coronary cortical
cranial cutaneous cystic dermal digital distal dorsal duodenal endocrine esophageal facial femoral
fibular gastric gingival gluteal hepatic humeral iliac inguinal intestinal jejunal jugular labial
lacrimal laryngeal lateral lingual lumbar lymphatic mammary mandibular maxillary medial mesenteric
nasal neural ocular orbital ovarian palatal pancreatic patellar pelvic penile pericardial perineal
peritoneal pharyngeal pleural popliteal portal prostatic proximal pulmonary pyloric radial rectal
renal retinal sacral scapular scrotal sinus splenic sternal subclavian tarsal temporal testicular
thoracic thyroid tibial tracheal tubal tympanic ulnar ureteral urethral uterine vaginal valvular
vascular venous ventricular vertebral vesical vulvar
"""
ADJ_PREFIXES = "sub trans peri intra retro supra infra para"
PROCEDURES = """
ablation access amputation anastomosis angioplasty arthrodesis aspiration augmentation biopsy
bypass cannulation catheterization cauterization closure coagulation construction conversion
cryoablation curettage debridement decompression dilation dissection division drainage
electrocautery embolization enucleation evacuation examination excision exchange exploration
extraction fenestration fixation fulguration fusion grafting imaging implantation incision
infusion injection insertion inspection instillation irrigation isolation ligation lithotripsy
localization lysis manipulation mapping marsupialization measurement mobilization occlusion
placement plication puncture reconstruction reduction reimplantation release relocation removal
reopening repair replacement reposition resection restoration revision sampling sclerotherapy
shaving shunting stabilization stenting stimulation suture thrombectomy transection transfer
transplantation transposition trephination unroofing washing biopsies recanalization atherectomy
"""
APPROACHES = """
percutaneous endoscopic laparoscopic thoracoscopic arthroscopic open transcatheter transluminal
minimally-invasive
transhepatic transvenous transarterial transurethral transvaginal transrectal transoral transnasal
transcutaneous antegrade retrograde stereotactic robotic image-guided
ultrasound-guided fluoroscopic navigational intraoperative bedside microsurgical
"""
DEVICES = """
balloon stent catheter guidewire sheath drain tube needle probe scope endoscope cannula clip coil
plug mesh graft implant electrode lead generator pump port reservoir valve prosthesis screw plate
rod wire basket snare laser forceps dilator trocar introducer filter occluder pacemaker
defibrillator neurostimulator spacer anchor suture staple sealant microcatheter cholangioscope
ureteroscope nephroscope bronchoscope cystoscope colonoscope
"""
IMAGING = """
fluoroscopy ultrasound computed-tomography magnetic-resonance angiography cholangiography
venography arteriography urography sonography radiography mammography tomography
"""
QUALIFIERS = """
unilateral bilateral initial subsequent complete partial simple complex complicated extensive
limited diagnostic therapeutic single multiple first additional primary secondary staged
superficial deep radical modified total subtotal intermediate comprehensive
"""
UNIT_NOUNS = """
lesion duct vessel level segment tumor site nerve stent catheter tract interspace vertebra digit
joint stricture stone polyp cyst graft session hour
"""
LAY_NOUNS = """
doctor team radiologist surgeon nurse camera screen picture medicine numbing-medicine bed room
hospital clinic blockage swelling narrowing pain problem body area side bruise infection fever
tube wire needle drain bag dressing stitch bandage x-ray scan dye fluid stone growth lump
"""
LAY_ADJECTIVES = """
thin flexible small narrow tiny soft sleepy comfortable sore tender swollen blocked tight normal
usual simple short long safe gentle careful gentle bright clear
"""
LAY_VERBS = """
open clear widen close remove place check steer guide pass reach treat fix drain stretch seal
flush rinse measure test replace support
"""
LAY_TIMES = """
hours days weeks minutes nights mornings
"""
SCOPES = ["same session", "same lesion", "same vessel", "same duct", "same access", "same side", "same encounter"]
SECTIONS: dict[str, tuple[str, ...]] = {
    "0": ("Category III", "Emerging technology"),
    "1": ("Surgery", "Integumentary system"),
    "2": ("Surgery", "Musculoskeletal system"),
    "3": ("Surgery", "Cardiovascular system"),
    "6": ("Surgery", "Nervous system"),
    "8": ("Pathology and laboratory", "Laboratory procedures"),
    "9": ("Medicine", "Medicine services"),
    "F": ("Category II", "Performance measures"),
}
GLOBAL_PERIODS = ["000", "010", "090", "XXX", "YYY"]
PUBLISHERS = [
    "Synthetic Coding Review",
    "Example Society of Interventional Practice",
    "Placeholder Payer Bulletin",
    "Bench Medical Coding Blog",
    "Mock CMS Transmittal",
]
KINDS = ["secondary", "secondary", "society", "official", "seed"]
CONFIDENCE_WEIGHTS = (("high", 0.4), ("medium", 0.4), ("low", 0.2))
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 ,.()/'&-]*[A-Za-z0-9).]$")
_YAML_WORDS = {"yes", "no", "true", "false", "null", "on", "off", "y", "n"}
REAL_CODE = re.compile(r"^\d{4}[0-9A-Z]$")


def _words(text: str) -> list[str]:
    return [w.replace("-", " ") for w in text.split()]


def _compound(root: str, suffix: str) -> str:
    if suffix[0] in "aeiou" and root[-1] in "aeiou":
        root = root[:-1]
    return root + suffix


class Zipf:
    """Draw words from a list with a Zipf-like frequency (rank r has weight 1 / (r + 2))."""

    def __init__(self, rng: random.Random, words: list[str]) -> None:
        self.rng = rng
        self.words = list(dict.fromkeys(words))
        rng.shuffle(self.words)
        self.cum = list(itertools.accumulate(1.0 / (r + 2) for r in range(len(self.words))))

    def __call__(self) -> str:
        return self.words[bisect.bisect(self.cum, self.rng.random() * self.cum[-1]) % len(self.words)]


@dataclass
class Vocabulary:
    compound: Zipf
    anatomy: Zipf
    adjective: Zipf
    procedure: Zipf
    approach: Zipf
    device: Zipf
    imaging: Zipf
    qualifier: Zipf
    unit: Zipf
    lay_noun: Zipf
    lay_adjective: Zipf
    lay_verb: Zipf
    lay_time: Zipf
    size: int = 0

    @classmethod
    def build(cls, rng: random.Random) -> Vocabulary:
        roots, suffixes = _words(ROOTS), _words(SUFFIXES)
        compounds = [_compound(r, s) for r in roots for s in suffixes]
        compound_adjectives = [_compound(r, s) for r in roots for s in ADJ_SUFFIXES.split()]
        adjectives = _words(ADJECTIVES)
        prefixed = [p + a for p in ADJ_PREFIXES.split() for a in adjectives]
        parts = {
            "compound": compounds,
            "anatomy": _words(ANATOMY),
            "adjective": adjectives + prefixed + compound_adjectives,
            "procedure": _words(PROCEDURES),
            "approach": _words(APPROACHES),
            "device": _words(DEVICES),
            "imaging": _words(IMAGING),
            "qualifier": _words(QUALIFIERS),
            "unit": _words(UNIT_NOUNS),
            "lay_noun": _words(LAY_NOUNS),
            "lay_adjective": _words(LAY_ADJECTIVES),
            "lay_verb": _words(LAY_VERBS),
            "lay_time": _words(LAY_TIMES),
        }
        vocab = cls(**{name: Zipf(rng, words) for name, words in parts.items()})
        vocab.size = len({w for words in parts.values() for w in words})
        return vocab


# --- text ----------------------------------------------------------------------------------------


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


class Writer:
    """Titles, descriptors and lay text of the wanted lengths from the vocabulary."""

    def __init__(self, rng: random.Random, vocab: Vocabulary) -> None:
        self.rng = rng
        self.v = vocab

    def site(self) -> str:
        v = self.v
        return f"{v.adjective()} {v.anatomy()}" if self.rng.random() < 0.7 else v.anatomy()

    def title(self, imaging: bool, add_on: bool) -> str:
        v, rng = self.v, self.rng
        if imaging:
            head = f"{_cap(v.imaging())} guidance for {v.procedure()} of the {self.site()}"
        elif rng.random() < 0.35:
            head = f"{_cap(v.compound())}, {v.approach()}"
        else:
            head = f"{_cap(v.approach())} {v.procedure()} of the {self.site()}"
        extras = [
            f"with {v.device()} {v.procedure()}",
            v.qualifier(),
            f"including {v.imaging()}",
            f"{v.qualifier()} {v.unit()}",
            f"without {v.device()}",
        ]
        rng.shuffle(extras)
        text = head
        want = rng.randint(40, 96)
        for extra in extras:
            if len(text) >= want:
                break
            if len(text) + len(extra) + 2 <= 100:
                text += ", " + extra
        if add_on and len(text) + 9 <= 100:
            text += " (add-on)"
        while len(text) < 40:
            text += f", {v.qualifier()}"
        return text[:100].rstrip(" ,")

    def _using(self) -> str:
        v = self.v
        device = v.device()
        return (
            f"{_cap(v.approach())} {v.procedure()} of the {self.site()} using {_article(device)} {device} "
            f"under {v.imaging()} guidance."
        )

    def sentence(self) -> str:
        v, rng = self.v, self.rng
        forms = [
            lambda: self._using(),
            lambda: f"Includes {v.imaging()} and {v.procedure()} of the {self.site()} when performed.",
            lambda: f"One unit is reported for each {v.unit()} treated.",
            lambda: f"Does not include {v.procedure()} of the {self.site()}, which is reported separately.",
            lambda: (
                f"The {v.device()} is advanced through the {self.site()} and the {v.anatomy()} is "
                f"{rng.choice(['examined', 'treated', 'opened', 'measured', 'cleared'])}."
            ),
            lambda: f"{_cap(v.compound())} with {v.procedure()} of the {v.anatomy()} ({v.qualifier()}).",
            lambda: f"Reported once per {v.unit()}; {v.qualifier()} {v.procedure()} is part of the service.",
        ]
        return rng.choice(forms)()

    def prose(self, low: int, high: int, make: Callable[[], str] | None = None) -> str:
        """Sentences from ``make`` (default: descriptor sentences) to a length in [low, high]."""
        make = make or self.sentence
        want = self.rng.randint(low, high)
        text = make()
        while len(text) < want:
            more = make()
            if len(text) + 1 + len(more) > high:
                if len(text) >= low:
                    break
                cut = more[: high - len(text) - 2].rsplit(" ", 1)[0].rstrip(",;")
                if len(cut) < 10:
                    break
                more = cut + "."
            text += " " + more
        return text[:high]

    def lay_sentence(self) -> str:
        v, rng = self.v, self.rng
        noun, adj, verb = v.lay_noun, v.lay_adjective, v.lay_verb
        forms = [
            lambda: f"A {adj()} {v.device()} is passed into the {v.anatomy()} to {verb()} the {self.site()}.",
            lambda: f"The {noun()} uses {v.imaging()} to {verb()} the {v.device()} into the right place.",
            lambda: f"Most people go home within {v.lay_time()}, and the {v.anatomy()} may feel {adj()} for a while.",
            lambda: f"This helps when the {v.anatomy()} is {adj()} or blocked by {_article(n := noun())} {n}.",
            lambda: f"Afterward the {noun()} checks the {v.anatomy()} {rng.choice(['again', 'twice', 'closely'])}.",
            lambda: (
                f"The {noun()} may {verb()} the {noun()} and {verb()} the {v.anatomy()} "
                f"{rng.choice(['gently', 'slowly', 'carefully'])}."
            ),
        ]
        return rng.choice(forms)()

    def lay_list(self, low: int, high: int) -> list[str]:
        return [self.prose(30, 110, self.lay_sentence).rstrip(".") for _ in range(self.rng.randint(low, high))]

    def synonym(self) -> str:
        v, rng = self.v, self.rng
        forms = [
            lambda: v.compound(),
            lambda: f"{v.adjective()} {v.procedure()}",
            lambda: f"{v.device()} {v.procedure()}",
            lambda: f"{v.anatomy()} {v.device()}",
            lambda: f"{v.approach()} {v.compound()}",
        ]
        return rng.choice(forms)()


# --- YAML text -----------------------------------------------------------------------------------


def q(code: str) -> str:
    return f'"{code}"'


def codes_flow(codes: list[str]) -> str:
    return "[" + ", ".join(q(c) for c in codes) + "]"


def ids_flow(ids: list[str]) -> str:
    return "[" + ", ".join(ids) + "]"


def scalar(text: str, indent: int, key_width: int) -> str:
    """``text`` as a YAML value at ``indent``: plain when safe, folded when long, else quoted."""
    plain = _PLAIN.match(text) and ": " not in text and " #" not in text and text.lower() not in _YAML_WORDS
    if plain and indent + key_width + len(text) <= WIDTH:
        return text
    if indent + key_width + len(text) > WIDTH:
        pad = " " * (indent + 2)
        lines = textwrap.wrap(text, WIDTH - len(pad), break_long_words=False, break_on_hyphens=False)
        return ">-\n" + "\n".join(pad + line for line in lines)
    return json.dumps(text, ensure_ascii=False)


def field_line(key: str, value: str, indent: int) -> str:
    return f"{' ' * indent}{key}: {scalar(value, indent, len(key) + 2)}\n"


def text_list(key: str, items: list[str], indent: int) -> str:
    pad = " " * indent
    out = f"{pad}{key}:\n"
    for item in items:
        out += f"{pad}  - {scalar(item, indent + 2, 2)}\n"
    return out


@dataclass
class Fact:
    """A sourced fact's common tail: sources, confidence and an optional note."""

    sources: list[str]
    confidence: str
    note: str | None = None

    def lines(self, indent: int, note_first: bool = False) -> str:
        """The fact's fields in canonical order (an add-on's ``note`` comes before its sources)."""
        pad = " " * indent
        note = field_line("note", self.note, indent) if self.note else ""
        out = f"{pad}sources: {ids_flow(self.sources)}\n{pad}confidence: {self.confidence}\n"
        return note + out if note_first else out + note


@dataclass
class Rule:
    what: str
    codes: list[str]
    fact: Fact

    def text(self, indent: int) -> str:
        pad = " " * indent
        out = f"{pad}- what: {scalar(self.what, indent + 2, 6)}\n"
        if self.codes:
            out += f"{pad}  codes: {codes_flow(self.codes)}\n"
        return out + self.fact.lines(indent + 2)


@dataclass
class NotWith:
    codes: list[str]
    scope: str
    reason: str
    fact: Fact

    def text(self, indent: int) -> str:
        pad = " " * indent
        out = f"{pad}- codes: {codes_flow(self.codes)}\n{pad}  scope: {self.scope}\n"
        out += field_line("reason", self.reason, indent + 2)
        return out + self.fact.lines(indent + 2)


@dataclass
class Record:
    code: str
    kind: str = "procedure"  # procedure | imaging | addon
    status: str = "active"
    family: str | None = None
    primaries: list[str] = field(default_factory=list)


# --- the library ---------------------------------------------------------------------------------


def real_codes(real: Path) -> set[str]:
    """Every code the real data holds or names: synthetic codes must avoid all of them."""
    codes = {p.stem for p in (real / "procedures").glob("*.yaml")}
    for path in real.rglob("*.yaml"):
        codes.update(re.findall(r'"(\d{4}[0-9A-Z])"', path.read_text(encoding="utf-8")))
    return codes


def code_pool(rng: random.Random, count: int, avoid: set[str]) -> list[str]:
    numeric = itertools.chain(range(10000, 40000), range(60000, 70000), range(80000, 100000))
    pool = [str(n) for n in numeric]
    pool += [f"0{n:03d}{letter}" for letter in "TU" for n in range(1, 1000)]
    pool += [f"{n:04d}F" for n in range(1, 9999, 3)]
    pool = [c for c in pool if c not in avoid]
    batch = 0
    if count > len(pool):  # a 100,000-record library: more codes, drawn only then (a smaller library
        # stays what it was): 00100-01999, 4xxxx-5xxxx and 7xxxx outside any hundred that holds a
        # real code (so a real code prefix such as 4755 or 743 finds no synthetic code), the other nnnnF
        batch = 20_000  # drawing nearly the whole pool: in large batches, not one code a round
        taken = {c[:3] for c in avoid}
        spans = itertools.chain(range(100, 2000), range(40000, 60000), range(70000, 80000))
        more = [f"{n:05d}" for n in spans if f"{n:05d}"[:3] not in taken]
        more += [f"{n:04d}F" for n in range(1, 10000) if n % 3 != 1]
        pool += [c for c in more if c not in avoid]
    if count > len(pool):
        raise SystemExit(f"at most {len(pool):,} synthetic records can be generated")
    weights = [0.15 if not c.isdigit() else 1.0 for c in pool]  # letter codes are the minority
    chosen: dict[str, None] = {}
    while len(chosen) < count:
        for c in rng.choices(pool, weights=weights, k=max(count - len(chosen), batch)):
            chosen[c] = None
            if len(chosen) == count:
                break
    return sorted(chosen)


def _pick(rng: random.Random, confidence: tuple[tuple[str, float], ...] = CONFIDENCE_WEIGHTS) -> str:
    return rng.choices([c for c, _ in confidence], weights=[w for _, w in confidence])[0]


class Library:
    def __init__(self, rng: random.Random, codes: list[str]) -> None:
        self.rng = rng
        self.vocab = Vocabulary.build(rng)
        self.w = Writer(rng, self.vocab)
        self.records = [Record(c) for c in codes]
        self.index = {c: i for i, c in enumerate(codes)}
        self.sources = [f"syn-{slug}-{n:03d}" for n in range(1, 81) for slug in ("review", "society", "payer")]
        self.families: list[dict[str, object]] = []
        n = len(codes)
        for record in self.records:
            roll = rng.random()
            record.kind = "imaging" if roll < 0.04 else "addon" if roll < 0.19 else "procedure"
        self.imaging = [r.code for r in self.records if r.kind == "imaging"] or [codes[0]]
        for record in self.records:
            if rng.random() < 0.03 and record.kind != "imaging":
                record.status = "deleted"
        for i in range(max(1, min(12, n // 400))):
            start = rng.randrange(0, max(1, n - 400))
            members = self.records[start : start + rng.randint(20, 300)]
            if any(r.family for r in members):
                continue
            fid = f"syn-family-{i + 1:02d}"
            for r in members:
                r.family = fid
            self.families.append({"id": fid, "first": members[0].code, "last": members[-1].code})

    def fact(self, inferred: bool = False) -> Fact:
        rng = self.rng
        confidence = _pick(rng)
        note = None
        if confidence == "low" or (inferred and rng.random() < 0.5):
            more = self.w.prose(40, 160)
            note = "Inferred from the descriptor; " + more[:1].lower() + more[1:]
        return Fact(rng.sample(self.sources, rng.randint(1, 3)), confidence, note)

    def near(
        self, record: Record, count: int, ok: Callable[[Record], bool] | None = None, spread: int = 60
    ) -> list[str]:
        """Up to ``count`` codes near ``record`` in code order (as real code families are)."""
        i = self.index[record.code]
        lo, hi = max(0, i - spread), min(len(self.records), i + spread + 1)
        window = [r for r in self.records[lo:hi] if r.code != record.code and (ok is None or ok(r))]
        return sorted(r.code for r in self.rng.sample(window, min(count, len(window))))

    def imaging_codes(self, record: Record, count: int) -> list[str]:
        choice = [c for c in self.rng.sample(self.imaging, min(count, len(self.imaging))) if c != record.code]
        return sorted(choice)

    def record_text(self, record: Record) -> str:
        rng, w, v = self.rng, self.w, self.vocab
        add_on = record.kind == "addon"
        first = record.code[-1] if record.code[-1] in "F" else record.code[0]
        section = list(SECTIONS[first if first in SECTIONS else "9"])
        if record.kind == "imaging":
            section = ["Radiology", "Imaging guidance"]
        section += [_cap(f"{v.adjective()} procedures")]
        out = f"code: {q(record.code)}\nstatus: {record.status}\n"
        out += field_line("title", w.title(record.kind == "imaging", add_on), 0)
        descriptor = w.prose(200, 500)
        if add_on:
            descriptor = "Add-on code, reported in addition to the primary procedure. " + descriptor
            descriptor = descriptor[:500].rsplit(" ", 1)[0].rstrip(",;") + "."
        out += field_line("descriptor", descriptor, 0)
        out += "section: [" + ", ".join(section) + "]\n"
        if record.family:
            out += f"family: {record.family}\n"
        if add_on or rng.random() < 0.12:
            out += f"units: each {'additional ' if add_on else ''}{v.unit()}\n"
        synonyms = list(dict.fromkeys(w.synonym() for _ in range(rng.choice([0, 1, 2, 2, 3, 3, 4, 5, 6]))))
        if synonyms:
            out += text_list("synonyms", synonyms, 0)
        if add_on:
            out += "add_on:\n"
            if rng.random() < 0.95:
                primaries = self.near(record, rng.randint(1, 20), lambda r: r.kind != "addon", spread=120)
                if primaries:
                    out += f"  primaries: {codes_flow(primaries)}\n"
                out += self.fact().lines(2, note_first=True)
            else:
                out += '  note: "primary codes not recorded: no source lists them"\n'
                fact = self.fact()
                fact.note = None
                out += fact.lines(2)
        out += self.rules(record)
        if rng.random() < 0.6:
            out += "medicare:\n"
            period = "ZZZ" if add_on else rng.choice(GLOBAL_PERIODS)
            out += f"  global_period: {q(period)}\n"
            if rng.random() < 0.7:
                out += f"  mue: {rng.choice([1, 1, 1, 2, 2, 3, 4, 6, 10])}\n"
            out += self.fact().lines(2)
        if rng.random() < 0.5:
            out += "history:\n"
            years = sorted(rng.sample(range(1992, 2026), rng.randint(1, 2)))
            for j, year in enumerate(years):
                change = "added" if j == 0 else "revised"
                fact = self.fact()
                fact.note = None
                out += f"  - {{year: {year}, change: {change}, sources: {ids_flow(fact.sources)}, "
                out += f"confidence: {fact.confidence}}}\n"
        if record.status == "deleted" and rng.random() < 0.8:
            replacement = self.near(record, 1, lambda r: r.status == "active")
            if replacement:
                out += f"replaced_by: {codes_flow(replacement)}\n"
        if rng.random() < 0.5:
            related = self.near(record, rng.randint(1, 5))
            if related:
                out += f"related: {codes_flow(related)}\n"
        out += self.lay()
        if record.status == "deleted" or rng.random() < 0.1:
            out += field_line("note", "Synthetic record for benchmarks. " + w.prose(60, 240), 0)
        return out

    def rules(self, record: Record) -> str:
        rng, w, v = self.rng, self.w, self.vocab
        out = ""
        includes = []
        if record.kind != "imaging" and rng.random() < 0.45:
            what = f"{v.imaging()} guidance and radiological supervision and interpretation"
            includes.append(Rule(what, self.imaging_codes(record, rng.randint(1, 4)), self.fact(inferred=True)))
        if rng.random() < 0.25:
            includes.append(
                Rule(f"{v.procedure()} of the {w.site()}", self.near(record, rng.randint(0, 3)), self.fact())
            )
        if includes:
            out += "includes:\n" + "".join(r.text(2) for r in includes)
        if rng.random() < 0.2:
            kind = rng.choice(["radiological supervision and interpretation", "imaging guidance"])
            what = f"{kind} of the {w.site()}"
            codes = self.imaging_codes(record, rng.randint(1, 2))
            out += "report_with:\n" + Rule(what, codes, self.fact()).text(2)
        if rng.random() < 0.25:
            codes = self.near(record, rng.randint(1, 5))
            if codes:
                reason = f"{_cap(v.procedure())} of the {w.site()} is part of the {v.procedure()} of this code"
                out += "not_with:\n" + NotWith(codes, rng.choice(SCOPES), reason, self.fact()).text(2)
        return out

    def lay(self) -> str:
        rng, w = self.rng, self.w
        if rng.random() >= 0.85:
            return ""
        out = "lay:\n" + field_line("summary", w.prose(150, 400, w.lay_sentence), 2)
        if rng.random() < 0.12:
            out += field_line("purpose", w.prose(80, 250, w.lay_sentence), 2)
            for key, low, high in (("indications", 2, 4), ("preparation", 2, 4), ("steps", 3, 5)):
                out += text_list(key, w.lay_list(low, high), 2)
            out += field_line("duration", w.prose(40, 140, w.lay_sentence), 2)
            out += field_line("setting", w.prose(40, 160, w.lay_sentence), 2)
            for key, low, high in (("risks", 3, 6), ("benefits", 2, 4), ("recovery", 2, 4), ("alternatives", 2, 4)):
                out += text_list(key, w.lay_list(low, high), 2)
            out += field_line("patient_experience", w.prose(80, 260, w.lay_sentence), 2)
        return out

    def sources_text(self) -> str:
        rng = self.rng
        out = ""
        for sid in self.sources:
            out += f"- id: {sid}\n"
            out += field_line("title", f"{_cap(self.w.synonym())} coding notes ({sid})", 2)
            out += f"  publisher: {rng.choice(PUBLISHERS)}\n"
            out += f"  url: https://example.org/coding/{sid}\n"
            out += f"  kind: {rng.choice(KINDS)}\n"
        return out

    def families_text(self) -> str:
        rng, w = self.rng, self.w
        out = ""
        for fam in self.families:
            out += f"\n- id: {fam['id']}\n"
            out += field_line("title", f"{_cap(w.synonym())} family (synthetic)", 2)
            out += f"  ranges: [{fam['first']}-{fam['last']}]\n"
            out += field_line("description", w.prose(120, 300), 2)
            record = self.records[self.index[str(fam["first"])]]
            rule = Rule(
                "imaging guidance of any modality and radiological supervision and interpretation",
                self.imaging_codes(record, 3),
                self.fact(),
            )
            rule.codes = [c for c in rule.codes if self.records[self.index[c]].family != fam["id"]]
            out += "  includes:\n" + rule.text(4)
            out += f"  sources: {ids_flow(rng.sample(self.sources, 2))}\n"
        return out


def generate(out: Path, records: int = DEFAULT_RECORDS, seed: int = DEFAULT_SEED, real: Path = REAL_DATA) -> int:
    """Write the library into ``out`` (created; must hold no data yet). Returns the files written."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    avoid = real_codes(real)
    lib = Library(rng, code_pool(rng, records, avoid))
    procedures = out / "procedures"
    procedures.mkdir(parents=True, exist_ok=True)
    written = 0
    for record in lib.records:
        (procedures / f"{record.code}.yaml").write_text(lib.record_text(record), encoding="utf-8", newline="\n")
        written += 1
    for path in sorted((real / "procedures").glob("*.yaml")):
        shutil.copyfile(path, procedures / path.name)
        written += 1
    real_sources = (real / "sources.yaml").read_text(encoding="utf-8").rstrip("\n") + "\n"
    (out / "sources.yaml").write_text(real_sources + lib.sources_text(), encoding="utf-8", newline="\n")
    real_families = (real / "families.yaml").read_text(encoding="utf-8").rstrip("\n") + "\n"
    (out / "families.yaml").write_text(real_families + lib.families_text(), encoding="utf-8", newline="\n")
    return written


def clear(out: Path) -> None:
    """Remove a previous library's files from ``out`` (only the files this script writes)."""
    for path in (out / "procedures").glob("*.yaml"):
        path.unlink()
    for name in ("sources.yaml", "families.yaml"):
        (out / name).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, metavar="OUT_DIR", help="the data directory to write")
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="synthetic records (default 20,000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--force", action="store_true", help="replace a library already in OUT_DIR")
    args = parser.parse_args(argv)
    if args.records < 1:
        parser.error("--records must be at least 1")
    if any((args.out / "procedures").glob("*.yaml")) or (args.out / "sources.yaml").exists():
        if not args.force:
            parser.error(f"{args.out} already holds a library; use --force to replace it")
        clear(args.out)
    start = time.perf_counter()
    written = generate(args.out, args.records, args.seed)
    took = time.perf_counter() - start
    print(f"wrote {written:,} record files ({args.records:,} synthetic + real) to {args.out} in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
