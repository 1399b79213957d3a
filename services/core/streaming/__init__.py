"""faust-streaming shell shared by the stream services: app factory, stage agent, web, worker."""
