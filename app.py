from lawglm.server import create_app

app = create_app()
