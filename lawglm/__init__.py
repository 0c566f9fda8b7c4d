"""lawglm: a Chinese legal assistant that cites real law.

Data flow: statutes (corpus) -> index -> retrieval -> prompts -> generation -> citations -> answer (assistant)
.
Nothing heavy is imported here.
"""

from .records import Answer, Article, Citation, Hit
from .settings import Settings, get_settings

__version__ = "0.1.0"
__all__ = ["Answer", "Article", "Citation", "Hit", "Settings", "__version__", "get_settings"]
