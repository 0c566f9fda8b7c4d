"""Domain errors. The CLI turns them into one line on stderr; the API into 4xx/503."""


class LawGLMError(Exception):
    """Base class for every error lawglm reports to a user."""


class CorpusError(LawGLMError):
    """The statute source is missing, unreadable or malformed."""


class UnknownLaw(LawGLMError):
    """A law name that resolves to nothing in the corpus."""


class ArticleNotFound(LawGLMError):
    """A law exists but has no such article."""


class IndexMissing(LawGLMError):
    """No index has been built where one was expected."""


class IndexCorrupt(LawGLMError):
    """An index exists but cannot be loaded or does not match its manifest."""


class ModelError(LawGLMError):
    """A backbone cannot be found, loaded or run."""


class AdapterError(LawGLMError):
    """An adapter is missing, malformed or does not fit the backbone."""


class DataError(LawGLMError):
    """Training / evaluation / ingestion input is malformed (message names file and line)."""


class InvalidQuery(LawGLMError, ValueError):
    """A search request is unusable: empty or over-long query, bad k, unknown status or department."""


class Cancelled(LawGLMError):
    """The caller gave up (client disconnected); the work was stopped part-way."""
