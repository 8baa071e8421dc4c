"""The Amazon Translate front door (AWS JSON 1.1, `X-Amz-Target: AWSShineFrontendService_20170701.*`)."""
