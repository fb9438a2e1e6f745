"""Argument checks shared by the task families (the protocol methods validate like every entry point)."""

from __future__ import annotations

from typing import Any

from bmaml_theory._validation import check_nu_values, check_theta, real_array

__all__ = ["FamilyChecks"]


class FamilyChecks:
    """Mixin: validation of theta, phi / v and nu against the family's sizes, backend and interval."""

    M: int
    n: int
    xp: Any
    dtype: Any

    def nu_interval(self) -> tuple[float, float]:  # pragma: no cover - every family defines it
        raise NotImplementedError

    def check_theta(self, theta: Any) -> Any:
        """``theta`` as an ``(n,)`` finite real array of the family's backend and dtype (errors name it)."""
        return check_theta(theta, xp=self.xp, n=self.n, dtype=self.dtype, device=getattr(self, "device", None))

    def check_phi(self, phi: Any, name: str = "phi") -> Any:
        """``phi`` (or a direction ``v``) as an ``(M, n)`` or ``(M, G, n)`` finite real array."""
        arr = real_array(phi, name, xp=self.xp, dtype=self.dtype, ndim=(2, 3), device=getattr(self, "device", None))
        if arr.shape[0] != self.M or arr.shape[-1] != self.n:
            raise ValueError(
                f"{name} must have shape ({self.M}, {self.n}) or ({self.M}, G, {self.n}) (one point per task "
                f"[and perturbation]), got {tuple(arr.shape)}."
            )
        return arr

    def _nus(self, nu: Any, *, check_interval: bool = True) -> tuple[Any, bool]:
        """nu as a 1-D array (G,) and whether it was a scalar; checked finite, non-empty, inside the interval."""
        xp = self.xp
        arr = real_array(
            nu, "nu", xp=xp, dtype=self.dtype, ndim=(0, 1), allow_empty=True, device=getattr(self, "device", None)
        )
        scalar = arr.ndim == 0
        arr = xp.reshape(arr, (-1,))
        if arr.shape[0] == 0:
            raise ValueError("nu is empty; pass a float or a non-empty 1-D array of perturbations.")
        if check_interval:
            # the interval is convex: its two extreme values decide for the whole grid
            check_nu_values([float(xp.min(arr)), float(xp.max(arr))], self.nu_interval())
        return arr, scalar

    def _pair(self, phi: Any, nu: Any, name: str = "phi") -> tuple[Any, Any]:
        """phi (M, n) with a scalar nu, or (M, G, n) with G values; nu broadcast to phi's layout."""
        phi = self.check_phi(phi, name)
        nus, scalar = self._nus(nu)
        if phi.ndim == 2:
            if not scalar:
                raise ValueError(
                    f"nu must be a single float when {name} has shape (M, n); for G values of nu pass {name} "
                    f"of shape (M, G, n), got nu of shape ({nus.shape[0]},)."
                )
            return phi, nus[0]
        if nus.shape[0] not in (1, phi.shape[1]):
            raise ValueError(
                f"nu has {nus.shape[0]} values but {name} has G = {phi.shape[1]} perturbations (axis 1); "
                "pass one nu per perturbation."
            )
        return phi, nus[None, :, None]
