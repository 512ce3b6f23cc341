"""Voila as ``anchorlib serve`` runs it (``python -m anchorlib.apps.voila_main <voila options>``): Voila's own
command, with a pool of preheated kernels per notebook sized for a room, gzip when its config asks, and
a closed page's kernel shut down (``page_sets_xsrf_cookie``).

Voila refills a notebook's pool to its full size after every kernel a visitor takes. A pool sized for a
room (``--pool-for 10_leakage_explorer=10``: ten participants open it at once) would then hold the room's
kernels twice once everyone is in: ten in use and ten more preheating, which is the memory of ten more
kernels (about 0.3 GB each) and a notebook run each on the two cores the room is using (docs/performance.md,
"A full workshop"). Here a pool is refilled to ``refill_target``: as many kernels as the room it was
sized for still lacks, and never fewer than ``SPARE`` (a pool of one is refilled as before). So a pool of
ten gives its ten kernels and starts no new one until the room is in; then it keeps two ready for
latecomers and reloads.
"""

from __future__ import annotations

#: ready kernels a pool of two or more keeps once its room is in (latecomers, a page reloaded)
SPARE = 2


def refill_target(size: int, in_use: int, spare: int = SPARE) -> int:
    """How many ready kernels a notebook's pool of ``size`` is refilled to while ``in_use`` of its kernels
    serve pages: what ``size`` still lacks, and at least ``min(size, spare)``."""
    if size <= 0:
        return 0
    return max(min(size, spare), size - max(0, in_use))


def room_sized(factory):
    """Wrap Voila's ``voila_kernel_manager_factory`` so that the preheating kernel manager it makes refills
    each pool to ``refill_target`` (module docstring)."""

    def make(*args, **kwargs):
        base = factory(*args, **kwargs)
        if not hasattr(base, "fill_if_needed"):  # no preheating: nothing to size
            return base

        class RoomSizedKernelManager(base):
            def _configured_size(self, notebook_name) -> int:
                default = self.kernel_pools_config.get("default", {})
                return int(self.kernel_pools_config.get(notebook_name, default).get("pool_size", 1))

            def _in_use(self, notebook_name) -> int:
                """Kernels of the notebook that serve pages: started for it and no longer in its pool."""
                started = set(self.notebook_data.get(notebook_name, {}).get("kernel_ids", ()))
                ready = set()
                for task in self._pools.get(notebook_name, ()):
                    if task.done() and not task.cancelled() and task.exception() is None:
                        ready.add(task.result().get("kernel_id"))
                return len(started - ready)

            def fill_if_needed(self, delay=None, notebook_name=None, **kwargs):
                size = self._configured_size(notebook_name)
                target = refill_target(size, self._in_use(notebook_name))
                if target == size:
                    return super().fill_if_needed(delay=delay, notebook_name=notebook_name, **kwargs)
                config = self.kernel_pools_config
                entry = dict(config.get(notebook_name, config.get("default", {})))
                self.kernel_pools_config = {**config, notebook_name: {**entry, "pool_size": target}}
                try:
                    return super().fill_if_needed(delay=delay, notebook_name=notebook_name, **kwargs)
                finally:
                    self.kernel_pools_config = config

        return RoomSizedKernelManager  # configured as VoilaKernelManager, its base

    return make


def page_sets_xsrf_cookie(handler_class) -> None:
    """Have each app page set tornado's ``_xsrf`` cookie. A closing page asks Voila to shut its kernel down
    (a beacon to ``/voila/api/shutdown/<kernel>`` carrying that cookie's value); Voila's pages never set
    the cookie, so the request was refused (403, "'_xsrf' argument missing") and every closed page's
    kernel, about 0.3 GB, lived on until culled."""
    if getattr(handler_class, "_sets_xsrf_cookie", False):
        return
    prepare = handler_class.prepare

    async def prepare_with_cookie(self, *args, **kwargs):
        result = await prepare(self, *args, **kwargs)  # who the visitor is, first
        _ = self.xsrf_token  # reading it sets the cookie
        return result

    handler_class.prepare = prepare_with_cookie
    handler_class._sets_xsrf_cookie = True


def main() -> None:
    from voila import app
    from voila.tornado.handler import TornadoVoilaHandler

    class Voila(app.Voila):  # named as Voila is: its log lines read "[Voila] ..."
        """Voila, whose ``tornado_settings`` may turn on gzip: Voila applies them to its tornado application
        once made, and tornado reads ``compress_response`` only when making it."""

        def init_settings(self):
            settings = super().init_settings()
            if self.tornado_settings.get("compress_response"):
                settings["compress_response"] = True
            return settings

    app.voila_kernel_manager_factory = room_sized(app.voila_kernel_manager_factory)
    page_sets_xsrf_cookie(TornadoVoilaHandler)
    Voila.launch_instance()


if __name__ == "__main__":
    main()
