// placeholder: replaced by the pipeline work
