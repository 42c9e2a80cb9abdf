"""The registry office's pages (登记办理): importing a registry file from the browser."""
