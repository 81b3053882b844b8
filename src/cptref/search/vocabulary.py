"""The coders' vocabulary: what their words mean to search, edited without touching the ranking.

- :data:`ALIASES`: shorthand, anatomy and things coders call by each other's names, each with what
  else a record may say for it; :data:`BROADER`: a part and the organ a record may name instead.
- :data:`ACTIONS`: what a procedure does to its object (placement, exchange, removal ...), and the
  words that say so: a query naming one ranks the records whose titles name another lower.
- :data:`COMMON_WORDS` and :data:`CLINICAL_WORDS`: words search never corrects into a word of the
  library, since each means something of its own (:func:`dictionary`).

Every table is written as a coder types it; the terms ranking looks up are worked out from them
here, once (:data:`ALTERNATIVES`, :data:`ACTION_OF`, :data:`ACTION_NOUNS`).
"""

from __future__ import annotations

import functools

from cptref.model.words import stem, words

ALIASES: dict[str, tuple[str, ...]] = {
    # shorthand coders type: acronyms and clipped words
    "ptc": ("percutaneous transhepatic cholangiography",),
    "pthc": ("percutaneous transhepatic cholangiography",),
    "ptbd": ("percutaneous transhepatic biliary drainage",),
    "ptcd": ("percutaneous transhepatic biliary drainage",),
    "pbd": ("percutaneous biliary drainage",),
    "pcn": ("percutaneous nephrostomy",),
    "pcnl": ("percutaneous nephrolithotomy",),
    "pnl": ("percutaneous nephrolithotomy",),
    "ercp": ("endoscopic retrograde cholangiopancreatography",),
    "rsi": ("radiological supervision interpretation",),
    "si": ("supervision interpretation",),
    "ir": ("interventional radiology",),
    "us": ("ultrasound",),
    "sono": ("ultrasound",),
    "ct": ("computed tomography",),
    "mr": ("magnetic resonance", "mri"),
    "mri": ("magnetic resonance", "mr"),
    "fluoro": ("fluoroscopy", "fluoroscopic"),
    "nu": ("nephroureteral",),
    "nut": ("nephroureteral",),
    "nuc": ("nephroureteral catheter",),
    "neph": ("nephrostomy",),
    "int": ("internal",),
    "ext": ("external",),
    "perc": ("percutaneous",),
    "cath": ("catheter",),
    "exch": ("exchange",),
    "bx": ("biopsy",),
    "dx": ("diagnostic",),
    "cysto": ("cystoscopy", "cystourethroscopy"),
    "urs": ("ureteroscopy",),
    "dj": ("double j",),
    "jj": ("double j",),
    "gb": ("gallbladder",),
    "sphinc": ("sphincteroplasty", "sphincter"),
    "cholangio": ("cholangiogram", "cholangiography"),
    "plcmt": ("placement",),
    "rmvl": ("removal",),
    "dil": ("dilation",),
    "conv": ("conversion",),
    # anatomy, as coders name it
    "renal": ("kidney",),
    "kidney": ("renal",),
    "upj": ("ureteropelvic junction",),
    "ureteropelvic junction": ("upj",),
    "ureteric": ("ureteral",),
    "biliary": ("bile duct",),
    "bile duct": ("biliary",),
    "cbd": ("bile duct", "biliary"),
    "chd": ("bile duct", "biliary"),
    "common bile duct": ("bile duct", "biliary"),
    "common duct": ("bile duct", "biliary"),
    "hepatic duct": ("bile duct", "biliary"),
    "common hepatic duct": ("bile duct", "biliary"),
    "left hepatic duct": ("bile duct", "biliary"),
    "right hepatic duct": ("bile duct", "biliary"),
    "intrahepatic duct": ("bile duct", "biliary"),
    "biliary tree": ("bile duct", "biliary"),
    "papilla": ("ampulla",),
    "sphincter": ("ampulla",),
    "sphincter oddi": ("ampulla", "sphincteroplasty"),
    "calculus": ("stone",),
    "calculi": ("stone",),
    # things coders call by each other's names
    "tube": ("catheter", "drain"),
    "catheter": ("tube", "drain"),
    "drain": ("catheter", "tube"),
    "choledochoscopy": ("cholangioscopy", "biliary endoscopy"),
    "cholangioscopy": ("biliary endoscopy", "choledochoscopy"),
    "nephroscopy": ("renal endoscopy",),
    "ureteroscopy": ("ureteral endoscopy",),
    "cystoscopy": ("cystourethroscopy",),
    "laser": ("lithotripsy",),  # through a ureteroscope, a laser is above all a lithotripter
}
"""Query words and phrases (as typed, any case, singular or plural) and what else they may be
written as in a record; each is an alternative, the best-matching one counts. Applied to the query
only; a phrase is taken as one term."""

BROADER: dict[str, tuple[str, ...]] = {
    "upj": ("ureter", "kidney"),
    "ureteropelvic junction": ("ureter", "kidney"),
    "renal pelvis": ("kidney", "renal"),
    "calyx": ("kidney", "renal"),
    "calyces": ("kidney", "renal"),
    "ampulla": ("bile duct", "biliary"),
}
"""Parts of an organ and the organ a record may name instead, as alternatives worth
``BROADER_WEIGHT``: a record that names the part itself ranks first."""
BROADER_WEIGHT = 0.9

ACTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # action: (the nouns a title says it with, other words a coder types for it)
    "placement": (("placement", "insertion"), ("place", "placed", "placing", "insert", "inserted", "put", "plcmt")),
    "exchange": (("exchange", "replacement", "change"), ("changed", "replace", "replaced", "swap", "exch")),
    "removal": (("removal", "extraction"), ("remove", "removed", "pull", "pulled", "extract", "retrieval", "rmvl")),
    "conversion": (("conversion", "internalization"), ("convert", "converted", "internalize", "internalized")),
    "dilation": (("dilation", "dilatation"), ("dilate", "dilated")),
    "biopsy": (("biopsy", "brushing"), ("biopsies", "bx", "brushings")),
}
"""What a procedure does to its object, and the words that say so. A query word naming an action
also matches the action's nouns; and a record whose title names another action, and not this one,
ranks lower (``OTHER_ACTION``), so "remove nephrostomy tube" finds the removal before the exchange.
An exchange is a removal and a placement in one: a title or query that says "replacement" (or
"removal and replacement") is an exchange."""
DEFAULT_ACTION = "placement"
"""The action a query that names none means: "biliary drain" is the drain's placement. Only breaks
ties: a record whose title names another action (conversion, exchange ...) comes after one that
names this one or none."""
OTHER_ACTION = 0.8
"""The factor on the score of a record whose title names another action than the query's."""
SUBSUMED = {"exchange": ("removal", "placement")}
"""An action that is others in one: an exchange is a removal and a placement."""


def phrase_key(text: str) -> str:
    """A word or phrase as a query term holds it: its words, stemmed, joined by spaces."""
    return " ".join(words(text))


ALTERNATIVES: dict[str, list[tuple[tuple[str, ...], float]]] = {}
for _table, _weight in ((ALIASES, 1.0), (BROADER, BROADER_WEIGHT)):
    for _typed, _aliases in _table.items():
        ALTERNATIVES.setdefault(phrase_key(_typed), []).extend((tuple(words(alias)), _weight) for alias in _aliases)
"""A query term (:func:`phrase_key`) -> its alternatives, each with what a match of it is worth."""
ACTION_OF = {stem(w): action for action, (nouns, others) in ACTIONS.items() for w in (*nouns, *others)}
"""Each word that names an action (stemmed) -> the action."""
ACTION_NOUNS = {action: tuple(stem(w) for w in nouns) for action, (nouns, _) in ACTIONS.items()}
"""Each action -> the nouns a title says it with (stemmed)."""


COMMON_WORDS = """
about above across after again against all almost along also always among another any anyone around
away back bad based because been before being below best between big both bring but call called came
can case change check clear close come could day days did different does done down during early easy
either else end enough even ever every fast few find fine first five follow four free from full gave
get give given goes going good great had half hand happen hard has have having help here high hold
home how however just keep kind know large last late later least leave left less let life light like
line little long look lot low made main make many may mean might more most move much must near need
never next nine normal note now number off often old once one only open order other our out over own
part past people place plan play plus point port power put quite rather read real really report rest
right round run said same saw say second see seem sent set seven several shall short should show side
sign since site six size small some something soon sort sport start state still stop such sure take
ten test than that their them then there these they thing think third those though three through time
today together too took top toward turn two type under until upon use used using usual very wait want
was way well went were what when where whether which while who whole why wide will with within work
would year yes yet you your
""".split()  # noqa: SIM905 - a list of words reads best as text
"""Common English words: a query word among them is what the user meant, never a misspelling of some
indexed word ("port" is not "report", "fine" is not "fine-tuned")."""

CLINICAL_WORDS = """
abdomen abdominal abscess adrenal amputation anal anastomosis anesthesia aneurysm angiogram angiography
angioplasty ankle anus aorta aortic appendectomy appendix arm arterial arteriogram artery arthrocentesis
arthroplasty arthroscopy ascites atherectomy atrial back biceps blood bone bowel brachial brain breast
bronchial bronchoscopy bronchus bursa bypass cancer cannula carcinoma cardiac cardioversion carotid
cartilage cast cataract cavity cecum cerebral cervical cervix cesarean chemotherapy chest cholecystectomy
clavicle clot coccyx colectomy colon colonic colonoscopy colostomy cornea coronary cranial craniotomy
cyst cystectomy debridement defibrillator delivery dental dialysis diaphragm disc disk ear effusion elbow
embolectomy embolism endometrial epidural esophagectomy eye eyelid face facet femoral femur fibula filter
finger fissure flap foley foot forearm fracture gastrectomy gastric gastroscopy gastrostomy graft groin
gum hair hand head heart hemorrhage hemorrhoid hernia herniorrhaphy hip humerus hysterectomy ileostomy
iliac implant incontinence infusion inguinal intubation jaw jejunostomy joint jugular kidney knee
kyphoplasty laminectomy laparoscopic laparoscopy laparotomy laryngoscopy larynx leg lens ligament limb
line lip liver lobe lumbar lumpectomy lung lymph lymphoma mammogram mammography mastectomy mediastinal
mediastinum meniscus mesh mole mouth muscle nail nasal neck nephrectomy nerve node nodule nose orbit
ovarian ovary pacemaker palate pancreatectomy paracentesis parathyroid patella pelvic penile penis
pericardial pericardiocentesis pericardium peritoneal peritoneum pessary picc placenta pleura pleural
pneumothorax polyp polypectomy popliteal port prostate prostatectomy prostatic prosthesis pulmonary
pump radial radiotherapy rectal rectum retina rib sacral sacrum scalp scapula sciatic scrotal scrotum
shoulder shunt sigmoidoscopy sinus skin skull spinal spine spleen splenectomy sternum stomach subclavian
suprapubic suture tendon testicle testis thigh thoracentesis thoracic thoracoscopy thoracostomy
thoracotomy thorax throat thrombectomy thrombolysis thrombosis thumb thyroid thyroidectomy tibia toe
tongue tonsil tonsillectomy tooth trachea tracheostomy transfusion transplant tumor tumour tunneled
tunnelled ulcer ulna umbilical uterine uterus vaccine vagina vaginal valve varicose vascular vein venous
vertebra vertebral vertebroplasty vessel vulva wound wrist
""".split()  # noqa: SIM905 - a list of words reads best as text
"""Clinical words outside any one library: anatomy, procedures, devices and conditions. Each names
something of its own, so a query word among them is never corrected into a word of the library
("nephrectomy" is not "nephrostomy", "chest" is not "cheek")."""


@functools.cache
def dictionary() -> frozenset[str]:
    """The words search never corrects as misspellings (:data:`COMMON_WORDS`, :data:`CLINICAL_WORDS`),
    as search sees them (stemmed)."""
    return frozenset(stem(word) for word in (*COMMON_WORDS, *CLINICAL_WORDS))
