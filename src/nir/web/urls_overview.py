"""URL patterns of one area of the web application (included by nir.web.urls)."""

urlpatterns: list = []
