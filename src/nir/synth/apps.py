from django.apps import AppConfig


class SynthConfig(AppConfig):
    """The synthetic population: a Django app only for its commands (``nir synth``, ``nir demo``);
    no models of its own."""

    name = "nir.synth"
    label = "synth"
    verbose_name = "Syntetiske data"
