"""A layout check shared by the panel tests that show an ImageGallery."""

from __future__ import annotations


def assert_captions_clear_of_pictures(gallery) -> None:
    """Every caption is drawn whole inside the gallery's view, over no picture and beside no
    other caption (grab() the gallery first, so the captions are at their final place)."""
    captions = gallery.caption_scene_rects()
    assert len(captions) == min(len(gallery.indices()), len(gallery.captions())) > 0
    area = gallery.view_scene_rect()
    tiles = [gallery.tile_scene_rect(t) for t in range(len(gallery.indices()))]
    for rect in captions:
        assert area.contains(rect), (rect, area)  # not clipped by the view
        assert not any(rect.intersects(tile) for tile in tiles), rect
        assert sum(rect.intersects(other) for other in captions) == 1, rect  # itself only
