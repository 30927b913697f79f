"""The agreement as a website: the contract in words, its lifecycle as a diagram and, given
records, dashboards of how well it is kept (mkdocs-material; the ``site`` extra).

- :func:`generate` turns a contract (and optionally records, a previous version) into pages;
- :func:`build_site` / :func:`serve_site` build or serve a standalone site in-process;
- :class:`~leadcontract.site.plugin.LeadContractPlugin` (``plugins: [leadcontract]``) puts
  the pages in any mkdocs site.

Only :mod:`leadcontract.site.build`, :mod:`~leadcontract.site.plugin` and the charts need the
extra's packages; they are imported when used.
"""

from leadcontract.site.build import SiteOptions, build_site, serve_site
from leadcontract.site.generate import ContractProblemError, Records, generate
from leadcontract.site.pages import SitePages

__all__ = [
    "ContractProblemError",
    "Records",
    "SiteOptions",
    "SitePages",
    "build_site",
    "generate",
    "serve_site",
]
