"""Compiled drop kernel: each UE against its candidate sites' cells, without [ue, cell]
arrays.

For each UE (in parallel) the kernel walks its candidate sites (all sites in the dense
form; the K nearest in the sparse form), computes the TR 38.901 large-scale link to each
site once (geometry with wrap-around, LOS, path loss, shadow fading; 7.4.1, 7.4.2) and the
BS antenna gain per cell (7.1.3, 7.3), and reduces on the fly to the serving cell (strongest
RSRP, optional margin) and the load-weighted interference sum in linear units. Its random
variates are the counter-based link uniforms of :func:`nrsim.rng.link_uniforms` and the
per-site fields (shadow fading; the spatially consistent LOS state of 7.6.3.1, LOS iff
Phi(G_s(x)) < P_LOS; for moving UEs optionally the soft state of 7.6.3.3, LOS and NLOS mixed
in power), read per link, so a link has the same value in dense and sparse runs; the tests check the dense form against the
NumPy reference (:func:`nrsim.channel.large_scale.large_scale_block`) link by link.

Every formula is the scalar core of :mod:`nrsim.channel.tr38901` (path loss, LOS probability,
h_E, antenna pattern), of :mod:`nrsim.channel.field_read` and of :mod:`nrsim.rng`, the same
code the NumPy functions run; the kernel only walks the links and reduces.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from nrsim.compiled import jit, jit_parallel

from nrsim.channel.field_read import (  # the scalar core shared with the reference chain
    field_bilinear,
    field_nearest,
    grid_coord,
    grid_nearest,
    los_from_gaussian,
    soft_los_loss_db,
    soft_los_state,
)
from nrsim.channel.tr38901.antenna import (
    column_af_core,
    element_gain_core,
    horizontal_attenuation_core,
    lcs_angles_core,
    vertical_attenuation_core,
    wrap_angle_core,
)
from nrsim.channel.tr38901.los_probability import los_probability_core
from nrsim.channel.tr38901.pathloss import pathloss_core, sigma_sf_los_core, uma_effective_height_core
from nrsim.channel.tr38901.scenarios import PL_UMA
from nrsim.rng import LINK_VARIATE_HE_1M, LINK_VARIATE_HE_LEVEL, LINK_VARIATE_LOS, link_uniform_core

ANT_OMNI, ANT_ELEMENT, ANT_COLUMN = 0, 1, 2
LN10_OVER_10 = math.log(10.0) / 10.0  # 10^(x/10) = exp(x ln10 / 10)
SF_CHUNK = 32
"""UEs per work item of the kernel (shadowing values are gathered site-major per item)."""


@jit
def grid_positions(ue_x, ue_y, i0, f_org, f_step, f_n, bilinear, gx, gy, fx, fy):
    """Grid positions of UEs ``i0 .. i0 + m - 1`` on every field grid, written into ``gx``,
    ``gy`` [m, field] (int64 grid indices) and, for the ``bilinear`` read, ``fx``, ``fy``
    [m, field] (float64 fractions; untouched by the nearest-point read)
    (:func:`nrsim.channel.field_read.grid_coord`, :func:`~nrsim.channel.field_read.grid_nearest`)."""
    for j in range(gx.shape[0]):
        for f in range(gx.shape[1]):
            if bilinear:
                gx[j, f], fx[j, f] = grid_coord(ue_x[i0 + j], f_org[f, 0], f_step[f], f_n[f])
                gy[j, f], fy[j, f] = grid_coord(ue_y[i0 + j], f_org[f, 1], f_step[f], f_n[f])
            else:
                gx[j, f] = grid_nearest(ue_x[i0 + j], f_org[f, 0], f_step[f], f_n[f])
                gy[j, f] = grid_nearest(ue_y[i0 + j], f_org[f, 1], f_step[f], f_n[f])


@jit
def link_site_values(site_values, cand, n_cand, i0, m):
    """``site_values[s]`` of the candidate site s of every link of UEs ``i0 .. i0 + m - 1``:
    int64 [m, k] (entries beyond a UE's ``n_cand`` are left unset)."""
    out = np.empty((m, cand.shape[1]), dtype=np.int64)
    for j in range(m):
        for kk in range(n_cand[i0 + j]):
            out[j, kk] = site_values[cand[i0 + j, kk]]
    return out


@jit
def scale_by_field_reads(out, field_of_link, cand, n_cand, i0, fields, f_n, f_off, gx, gy, fx, fy, f_rho, bilinear):
    """Multiply ``out[j, kk]`` [m, k] by the value of field ``field_of_link[j, kk]`` for the
    candidate site ``cand[i0 + j, kk]`` at UE ``i0 + j``: the bilinear read (``fx``, ``fy``,
    ``f_rho``) or the nearest grid point's (:mod:`nrsim.channel.field_read`), at the grid
    positions ``gx``, ``gy`` [m, field] of :func:`grid_positions`. Candidate-major, the reads
    alone in a tight loop (independent cache misses the processor can overlap)."""
    for kk in range(out.shape[1]):
        for j in range(out.shape[0]):
            if kk >= n_cand[i0 + j]:
                continue
            s = cand[i0 + j, kk]
            f = field_of_link[j, kk]
            if bilinear:
                out[j, kk] *= field_bilinear(fields[f], f_n[f], f_off[f, s, 0], f_off[f, s, 1], gx[j, f], gy[j, f],
                                             fx[j, f], fy[j, f], f_rho[f, 0], f_rho[f, 1])
            else:
                out[j, kk] *= field_nearest(fields[f], f_n[f], f_off[f, s, 0], f_off[f, s, 1], gx[j, f], gy[j, f])


@jit_parallel
def drop_kernel(
    ue_index, ue_x, ue_y, ue_h, ue_din, ue_loss_db, ue_home,  # [ue]
    cand, n_cand,  # [ue, k] candidate sites (ascending distance not required), [ue] count
    site_x, site_y, site_h, shifts,  # [site], [image, 2]
    site_pl_law, site_los_law, site_f_los, site_f_nlos,  # [site] law codes (scenarios.py), field indices
    site_sig_los, site_sig_los_after_bp, site_sig_nlos,  # [site] sigma_SF [dB]
    site_cell_start,  # [site + 1] CSR: cells of site s are start[s]..start[s+1]-1
    cell_bearing_deg, cell_tx_dbm, cell_load,  # [cell]
    fc_ghz, h_bld, w_street,
    ant_model, n_el, spacing_wl, cell_etilt_deg, cell_mech_tilt_deg, ue_gain_dbi,  # [cell] tilts
    theta_3db, phi_3db, sla_v, a_max, g_max,
    link_key,
    sf_on, fields, f_n, f_step, f_org, f_off,  # [field, n, n], [field], [field], [field, 2], [field, site, 2]
    f_rho, bilinear,  # [field, 2] grid-neighbour correlations of the bilinear read; shadow-fading read mode
    los_sc, site_f_lst,  # spatially consistent LOS state on; [site] its field (7.6.3.1)
    soft_los, soft_scale,  # soft LOS state of 7.6.3.3 (moving UEs, with los_sc and bilinear); sqrt(20 / lambda)
    margin_db,
    out_serv, out_rx_dbm, out_gain_db, out_interf_mw,  # [ue]
    out_los, out_d2d, out_pl, out_sf,  # [ue]
    out_rx_cells,  # float32 [ue, cell] received power of every cell [dBm], or shape (0, 0)
    out_rx_links,  # float32 [ue, k * cells per site] received power of the candidates' cells [dBm], or (0, 0)
    out_link_cell,  # int64 [ue, k * cells per site] their cells (candidate kk's cell q at kk * cps + q)
):
    n_ue = ue_x.shape[0]
    n_img = shifts.shape[0]
    n_fields = f_n.shape[0]
    k_max = cand.shape[1]
    n_chunks = (n_ue + SF_CHUNK - 1) // SF_CHUNK
    n_cells = cell_etilt_deg.shape[0]
    cell_cos_etilt = np.empty(n_cells)
    cell_cb = np.empty(n_cells)
    cell_sb = np.empty(n_cells)
    for c in range(n_cells):
        cell_cos_etilt[c] = math.cos(math.radians(cell_etilt_deg[c]))
        cell_cb[c] = math.cos(math.radians(cell_mech_tilt_deg[c]))
        cell_sb[c] = math.sin(math.radians(cell_mech_tilt_deg[c]))
    key = np.uint64(link_key)
    write_cells = out_rx_cells.shape[0] > 0
    write_links = out_rx_links.shape[0] > 0
    cps = out_rx_links.shape[1] // k_max if write_links else 0  # link slots per candidate site
    for chunk in numba.prange(n_chunks):
        i0 = chunk * SF_CHUNK
        i1 = min(i0 + SF_CHUNK, n_ue)
        m = i1 - i0
        # pass 1, candidate-major over this chunk's UEs
        # pass 1 does the per-link geometry, LOS state and shadow fading (one field read:
        # the field of the link's LOS state); pass 2 reads them back in UE order
        b_dx = np.empty((m, k_max))
        b_dy = np.empty((m, k_max))
        b_d2 = np.empty((m, k_max))
        b_los = np.zeros((m, k_max), dtype=np.bool_)
        b_sf = np.zeros((m, k_max))
        b_f = np.zeros((m, k_max), dtype=np.int64)
        b_g = np.ones((m, k_max)) if los_sc else np.zeros((0, 0))  # the LOS field per link (7.6.3.1)
        # soft LOS (7.6.3.3): LOS_soft per link, and the NLOS shadow fading next to the LOS one
        b_s = np.zeros((m, k_max)) if soft_los else np.zeros((0, 0))
        b_sfn = np.zeros((m, k_max)) if soft_los else np.zeros((0, 0))
        b_fn = np.zeros((m, k_max), dtype=np.int64) if soft_los else np.zeros((0, 0), dtype=np.int64)
        gx = np.zeros((m, n_fields), dtype=np.int64)
        gy = np.zeros((m, n_fields), dtype=np.int64)
        fx = np.zeros((m, n_fields))
        fy = np.zeros((m, n_fields))
        if sf_on or los_sc:
            grid_positions(ue_x, ue_y, i0, f_org, f_step, f_n, bilinear, gx, gy, fx, fy)
        if los_sc:
            # the LOS-field reads (7.6.3.1) alone in a tight loop, like the shadowing reads
            # below (nearest grid point: the LOS state is binary, and the grid points carry
            # the exact exponential correlation of Table 7.6.3.1-2)
            # (the soft state of moving UEs reads it bilinearly: continuous along the path)
            b_fl = link_site_values(site_f_lst, cand, n_cand, i0, m)
            if soft_los or not bilinear:
                scale_by_field_reads(b_g, b_fl, cand, n_cand, i0, fields, f_n, f_off, gx, gy, fx, fy, f_rho,
                                     soft_los)
            else:  # nearest grid indices for the hard LOS-state reads
                gl_x = np.zeros((m, n_fields), dtype=np.int64)
                gl_y = np.zeros((m, n_fields), dtype=np.int64)
                grid_positions(ue_x, ue_y, i0, f_org, f_step, f_n, False, gl_x, gl_y, fx, fy)
                scale_by_field_reads(b_g, b_fl, cand, n_cand, i0, fields, f_n, f_off, gl_x, gl_y, fx, fy, f_rho,
                                     False)
        for kk in range(k_max):
            for j in range(m):
                i = i0 + j
                if kk >= n_cand[i]:
                    continue
                s = cand[i, kk]
                xu, yu, hu = ue_x[i], ue_y[i], ue_h[i]
                # nearest wrap-around image (deployment.geometry)
                dx = xu - site_x[s]
                dy = yu - site_y[s]
                bd2 = dx * dx + dy * dy
                for q in range(1, n_img):
                    cx = xu - site_x[s] - shifts[q, 0]
                    cy = yu - site_y[s] - shifts[q, 1]
                    d2 = cx * cx + cy * cy
                    if d2 < bd2:
                        bd2 = d2
                        dx = cx
                        dy = cy
                d2d = math.sqrt(bd2)
                d_out = max(d2d - ue_din[i], 0.0)
                p_los = los_probability_core(site_los_law[s], d_out, hu)
                if soft_los:  # 7.6.3.3: LOS_soft; the boolean state is LOS_soft > 1/2
                    s_los = soft_los_state(b_g[j, kk], p_los, soft_scale)
                    b_s[j, kk] = s_los
                    los = s_los > 0.5
                elif los_sc:  # 7.6.3.1: LOS iff Phi(G_s(x)) < P_LOS
                    los = los_from_gaussian(b_g[j, kk], p_los)
                else:
                    los = link_uniform_core(key, ue_index[i], s, LINK_VARIATE_LOS) < p_los
                b_dx[j, kk] = dx
                b_dy[j, kk] = dy
                b_d2[j, kk] = d2d
                b_los[j, kk] = los
                if sf_on and soft_los:  # both fields: the link mixes LOS and NLOS
                    b_f[j, kk] = site_f_los[s]
                    b_sf[j, kk] = sigma_sf_los_core(site_sig_los[s], site_sig_los_after_bp[s], d2d, fc_ghz, site_h[s], hu)
                    b_fn[j, kk] = site_f_nlos[s]
                    b_sfn[j, kk] = site_sig_nlos[s]
                elif sf_on:
                    if los:
                        f = site_f_los[s]
                        sig = sigma_sf_los_core(site_sig_los[s], site_sig_los_after_bp[s], d2d, fc_ghz, site_h[s], hu)
                    else:
                        f = site_f_nlos[s]
                        sig = site_sig_nlos[s]
                    b_f[j, kk] = f
                    b_sf[j, kk] = sig
        if sf_on:
            # the field reads alone in a tight loop: independent loads the processor can
            # overlap (the reads are cache misses; the work above would serialise them)
            scale_by_field_reads(b_sf, b_f, cand, n_cand, i0, fields, f_n, f_off, gx, gy, fx, fy, f_rho, bilinear)
            if soft_los:
                scale_by_field_reads(b_sfn, b_fn, cand, n_cand, i0, fields, f_n, f_off, gx, gy, fx, fy, f_rho,
                                     bilinear)
        # pass 2, UE-major: every cell of every candidate site, reduced on the fly
        for i in range(i0, i1):
            j = i - i0
            hu = ue_h[i]
            uid = ue_index[i]
            best_rx = -math.inf
            best_c = 0
            best_gain = 0.0
            best_los = False
            best_d2d = 0.0
            best_pl = 0.0
            best_sf = 0.0
            home_rx = -math.inf
            home_gain = 0.0
            home_los = False
            home_d2d = 0.0
            home_pl = 0.0
            home_sf = 0.0
            total_mw = 0.0
            for kk in range(n_cand[i]):
                s = cand[i, kk]
                dx = b_dx[j, kk]
                dy = b_dy[j, kk]
                d2d = b_d2[j, kk]
                los = b_los[j, kk]
                sf = b_sf[j, kk]
                dz = hu - site_h[s]
                d3d = math.sqrt(d2d * d2d + dz * dz)
                law = site_pl_law[s]
                h_e = 1.0
                if law == PL_UMA and hu >= 13.0:  # below 13 m h_E = 1 m surely (note 1)
                    h_e = uma_effective_height_core(
                        link_uniform_core(key, uid, s, LINK_VARIATE_HE_1M),
                        link_uniform_core(key, uid, s, LINK_VARIATE_HE_LEVEL), d2d, hu,
                    )
                if soft_los:  # 7.6.3.3: LOS and NLOS mixed in power, weight LOS_soft^2
                    pl_l = pathloss_core(law, True, d2d, d3d, fc_ghz, site_h[s], hu, h_e, h_bld, w_street)
                    pl_n = pathloss_core(law, False, d2d, d3d, fc_ghz, site_h[s], hu, h_e, h_bld, w_street)
                    s_los = b_s[j, kk]
                    pl = soft_los_loss_db(s_los, pl_l, pl_n)
                    sf_n = b_sfn[j, kk] if sf_on else 0.0
                    sf = soft_los_loss_db(s_los, pl_l + sf, pl_n + sf_n) - pl
                else:
                    pl = pathloss_core(law, los, d2d, d3d, fc_ghz, site_h[s], hu, h_e, h_bld, w_street)
                site_loss = pl + sf + ue_loss_db[i] - ue_gain_dbi
                theta = math.degrees(math.atan2(d2d, dz))
                phi = math.degrees(math.atan2(dy, dx))
                # vertical pattern without mechanical tilt: shared by the site's cells
                a_v = vertical_attenuation_core(theta, theta_3db, sla_v)
                cos_theta = dz / d3d if d3d > 0.0 else 0.0
                af = 0.0
                af_cos_etilt = math.nan  # the array factor is recomputed only when the tilt changes
                for c in range(site_cell_start[s], site_cell_start[s + 1]):
                    # antenna gain of cell c (7.1.3, Table 7.3-1)
                    if ant_model == ANT_OMNI:
                        g = 0.0
                    elif cell_cb[c] == 1.0:
                        if ant_model == ANT_COLUMN and cell_cos_etilt[c] != af_cos_etilt:
                            af_cos_etilt = cell_cos_etilt[c]
                            af = column_af_core(cos_theta, n_el, spacing_wl, af_cos_etilt)
                        a_h = horizontal_attenuation_core(wrap_angle_core(phi - cell_bearing_deg[c]), phi_3db, a_max)
                        g = element_gain_core(a_v, a_h, a_max, g_max + af)
                    else:  # mechanical downtilt: the LCS angles of 7.1.3 (slant 0)
                        th_l, cos_tl, ph_l = lcs_angles_core(
                            theta, phi - cell_bearing_deg[c], cell_cb[c], cell_sb[c], 1.0, 0.0
                        )
                        av = vertical_attenuation_core(th_l, theta_3db, sla_v)
                        ah = horizontal_attenuation_core(wrap_angle_core(ph_l), phi_3db, a_max)
                        afc = column_af_core(cos_tl, n_el, spacing_wl, cell_cos_etilt[c]) if ant_model == ANT_COLUMN else 0.0
                        g = element_gain_core(av, ah, a_max, g_max + afc)
                    gain = g - site_loss
                    rx = cell_tx_dbm[c] + gain
                    if write_cells:
                        out_rx_cells[i, c] = rx
                    if write_links:  # the sparse link form: no [ue, cell] array
                        q = kk * cps + c - site_cell_start[s]
                        out_rx_links[i, q] = rx
                        out_link_cell[i, q] = c
                    total_mw += cell_load[c] * math.exp(LN10_OVER_10 * rx)
                    if rx > best_rx:
                        best_rx = rx
                        best_c = c
                        best_gain = gain
                        best_los = los
                        best_d2d = d2d
                        best_pl = pl
                        best_sf = sf
                    if c == ue_home[i]:
                        home_rx = rx
                        home_gain = gain
                        home_los = los
                        home_d2d = d2d
                        home_pl = pl
                        home_sf = sf
            if margin_db > 0.0 and home_rx >= best_rx - margin_db:
                serv, rx_s, g_s = ue_home[i], home_rx, home_gain
                out_los[i], out_d2d[i], out_pl[i], out_sf[i] = home_los, home_d2d, home_pl, home_sf
            else:
                serv, rx_s, g_s = best_c, best_rx, best_gain
                out_los[i], out_d2d[i], out_pl[i], out_sf[i] = best_los, best_d2d, best_pl, best_sf
            out_serv[i] = serv
            out_rx_dbm[i] = rx_s
            out_gain_db[i] = g_s
            out_interf_mw[i] = max(total_mw - cell_load[serv] * math.exp(LN10_OVER_10 * rx_s), 0.0)
