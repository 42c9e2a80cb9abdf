"""The registry office's pages (登记办理): importing a registry file from the browser
(``routes.py``), and the acts an import may not do: a target's status, an inspector's status
and declared conflicts (``acts.py``)."""
