"""The content connector's REST API under /connector (issue 12 §8): routes, request and response
models, auth and errors."""
