"""Text preprocessing for the TSEM replica: optional stop-word removal and light lemmatization.

The TSEM report mentions stop-word removal and lemmatization before DistilBERT as optional steps.
No offline NLP library (NLTK data, spaCy models) can be installed here, so this module carries a
built-in English stop-word list and a small rule-based lemmatizer (plural nouns and regular verb
forms, with an exception table). It is deliberately conservative: a word it is unsure about is kept
as written, because a wrong lemma ("news" -> "new") hurts a pretrained tokenizer more than a
missed one.
"""
from __future__ import annotations

import re

# The common English function words (close to NLTK's list, without contractions' fragments).
STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she should
so some such than that the their theirs them themselves then there these they this those through to
too under until up very was we were what when where which while who whom why will with would you your
yours yourself yourselves
""".split())

_IRREGULAR = {
    "children": "child", "men": "man", "women": "woman", "people": "person", "mice": "mouse",
    "feet": "foot", "teeth": "tooth", "geese": "goose", "wives": "wife", "lives": "life",
    "knives": "knife", "wolves": "wolf", "thieves": "thief", "went": "go", "gone": "go",
    "was": "be", "were": "be", "is": "be", "are": "be", "been": "be", "has": "have", "had": "have",
    "did": "do", "does": "do", "made": "make", "found": "find", "fell": "fall", "fallen": "fall",
    "took": "take", "taken": "take", "gave": "give", "given": "give", "came": "come", "saw": "see",
    "seen": "see", "left": "leave", "met": "meet", "fought": "fight", "brought": "bring",
    "began": "begin", "begun": "begin", "became": "become", "wrote": "write", "written": "write",
    "stole": "steal", "stolen": "steal", "ran": "run", "won": "win", "lost": "lose", "kept": "keep",
}
# Words that end like an inflection but are not one (kept as written).
_KEEP = frozenset("""
news series species bus gas yes this his is was has does always perhaps across famous various
serious nervous dangerous jealous mysterious glorious curious police bless dress chess boss
cross kiss miss less unless business princess witness fortress mistress actress goddess glass class
pass mass bias atlas canvas christmas thus us plus lens virus status chaos thing king ring sing
wing spring string nothing something anything everything evening morning during bring cling
red bed need seed speed feed breed wed shed hundred sacred naked wicked wretched beloved
united
""".split())
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|[0-9]+|[^\sA-Za-z0-9]")
_VOWELS = set("aeiou")


def _has_vowel(stem: str) -> bool:
    return any(c in _VOWELS for c in stem)


def lemmatize_word(word: str) -> str:
    """Rule-based lemma of one lowercase English word (conservative; unsure words unchanged)."""
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) <= 3 or w in _KEEP or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"                          # stories -> story
    if w.endswith(("sses", "shes", "ches", "xes", "zes")):
        return w[:-2]                                # kisses -> kiss, matches -> match
    if w.endswith("s") and not w.endswith(("ss", "us", "is", "ous")):
        return w[:-1]                                # robots -> robot
    if w.endswith("ied") and len(w) > 4:
        return w[:-3] + "y"                          # married -> marry
    if w.endswith("ed") and _has_vowel(w[:-2]) and len(w) > 4:
        stem = w[:-2]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
            return stem[:-1]                         # stopped -> stop
        if stem.endswith(("at", "iz", "bl", "ur", "iv", "ov", "ag", "ak", "os")):
            return stem + "e"                        # created -> create, saved -> save
        return stem                                  # murdered -> murder
    if w.endswith("ing") and _has_vowel(w[:-3]) and len(w) > 5:
        stem = w[:-3]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
            return stem[:-1]                         # running -> run
        if stem.endswith(("at", "iz", "bl", "ur", "iv", "ov", "ag", "ak", "os", "av")):
            return stem + "e"                        # saving -> save
        return stem                                  # fighting -> fight
    return w


def preprocess_text(text: str, remove_stop_words: bool = False, lemmatize: bool = False) -> str:
    """The text a tokenizer sees: optionally without stop words and with words lemmatized.

    With both options off the text is returned unchanged (the pretrained tokenizer does the rest).
    """
    if not (remove_stop_words or lemmatize):
        return text
    out = []
    for tok in _WORD.findall(text):
        low = tok.lower()
        if remove_stop_words and low in STOP_WORDS:
            continue
        if lemmatize and tok.isalpha():
            lemma = lemmatize_word(low)
            tok = lemma if tok.islower() else (lemma.capitalize() if tok[0].isupper() else lemma)
        out.append(tok)
    text = " ".join(out)
    return re.sub(r"\s+([.,;:!?)])", r"\1", text).replace("( ", "(")
