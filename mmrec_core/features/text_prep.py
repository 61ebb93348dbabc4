"""Text preprocessing for the TSEM replica: stop-word removal, punctuation removal, lemmatization.

The TSEM report: "standard natural language processing techniques such as stopwords removal,
punctuation removal and lemmatization were also applied" before DistilBERT (64 tokens). All three
are options of :func:`preprocess_text`, off by default:

- stop words: the built-in English list :data:`STOP_WORDS` (close to NLTK's), case-insensitive;
- punctuation: tokens made only of punctuation or symbols (``. , ! ? " ( ) - $`` ...); apostrophes
  inside words (``don't``, ``Europe's``) stay, a hyphenated word becomes two words;
- lemmatization: ``simplemma`` (dictionary lookup, offline, no model download), English. Only
  alphabetic words are lemmatized (contractions and possessives are kept: simplemma would turn
  ``don't`` into ``do``). Conservative, because a wrong lemma hurts a pretrained cased tokenizer
  more than a missed one: a capitalised word inside a sentence is taken for a proper noun and kept
  as written ("Star Wars", "James Bond"; simplemma alone gives "War", "bond"), words with capitals
  after the first letter ("FBI", "McQueen") are kept, a sentence-initial word is lemmatized with
  its capital restored ("Children" -> "Child"), and :data:`KEEP_AS_WRITTEN` lists words whose
  dictionary lemma is another word ("wicked" -> "wick", "media" -> "medium") and object pronouns
  ("them" would become "they"). Other dictionary lemmas are taken as they are, e.g. "better" ->
  "good", "saw" -> "see" (simplemma does not look at the part of speech).
"""
from __future__ import annotations

import re
import unicodedata

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

# Words simplemma maps to another word in movie plots ("thieves" -> "thieve"), and object pronouns
# it maps to the subject form ("them" -> "they"); kept as written.
KEEP_AS_WRITTEN = frozenset("news wicked media goods thieves me him them us".split())
# A word (Unicode letters, optional inner apostrophe part), a number, or one other non-space char.
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*|\d+|\S")
_SENTENCE_END = frozenset(".!?")


def lemmatize_word(word: str) -> str:
    """simplemma's English lemma of one word (case-aware lookup: "movies" -> "movie",
    "fought" -> "fight", "Paris" stays); :data:`KEEP_AS_WRITTEN` words and non-alphabetic tokens
    are returned unchanged. Capitalisation policy for running text is :func:`preprocess_text`'s."""
    import simplemma

    if not word.isalpha() or word.lower() in KEEP_AS_WRITTEN:
        return word
    return simplemma.lemmatize(word, lang="en")


def _is_punctuation(tok: str) -> bool:
    return all(unicodedata.category(c)[0] in "PS" for c in tok)


def preprocess_text(text: str, remove_stop_words: bool = False, lemmatize: bool = False,
                    remove_punctuation: bool = False) -> str:
    """The text a tokenizer sees: optionally without stop words and punctuation, words lemmatized.

    With every option off the text is returned unchanged (the pretrained tokenizer does the rest).
    Otherwise the text (NFC-normalised) is split into words, numbers and single other characters,
    filtered and lemmatized as the module docstring says, and joined with single spaces (no space
    before ``.,;:!?)`` or after ``(``).
    """
    if not (remove_stop_words or lemmatize or remove_punctuation):
        return text
    out = []
    sentence_start = True
    for tok in _WORD.findall(unicodedata.normalize("NFC", text)):
        at_start = sentence_start
        if tok in _SENTENCE_END:
            sentence_start = True
        elif tok[0].isalnum():
            sentence_start = False
        if remove_stop_words and tok.lower() in STOP_WORDS:
            continue
        if remove_punctuation and _is_punctuation(tok):
            continue
        if lemmatize and tok.isalpha():
            if tok.islower():
                tok = lemmatize_word(tok)
            elif (at_start and tok[1:].islower()) or len(tok) == 1:
                lemma = lemmatize_word(tok)  # a sentence-initial word: lemma, capital restored
                tok = lemma[:1].upper() + lemma[1:]
            # else: a capitalised word inside a sentence (a name) or an acronym: as written
        out.append(tok)
    text = " ".join(out)
    return re.sub(r"\s+([.,;:!?)])", r"\1", text).replace("( ", "(")
