"""The web demo (``ganforge demo RUN``): a local page with one form per use the run declares.

app.py         Demo: the forms of a model and one call per request (values -> infer -> PNG)
forms.py       the forms, described from the uses and their inputs (inference/uses.py)
uploads.py     uploaded images and masks: bounded bytes, the data sets' bounded decoder
neighbours.py  the encode form's gallery: nearest images in code space
server.py      the standard library's HTTP server on 127.0.0.1 (why not Gradio: its docstring)
page.html      the page: self-contained HTML, CSS and script
"""
