import type { Location } from './api.ts';
import { LOCATION_TYPES, locationTypeLabel } from './locationTypes.ts';
import { US_OUTLINE } from './usOutline.ts';

// An equirectangular projection of the contiguous US, with x scaled by cos(37°) so shapes at its
// middle latitude keep their proportions. Nothing is fetched: the outline is in usOutline.ts.
const WEST = -125;
const EAST = -66;
const SOUTH = 24;
const NORTH = 50;
const WIDTH = 960;
const HEIGHT = Math.round((WIDTH * (NORTH - SOUTH)) / ((EAST - WEST) * Math.cos((37 * Math.PI) / 180)));

const x = (longitude: number) => ((longitude - WEST) / (EAST - WEST)) * WIDTH;
const y = (latitude: number) => ((NORTH - latitude) / (NORTH - SOUTH)) * HEIGHT;
const round = (n: number) => Math.round(n * 10) / 10;

export const onMap = (l: Pick<Location, 'latitude' | 'longitude'>) =>
  l.longitude >= WEST && l.longitude <= EAST && l.latitude >= SOUTH && l.latitude <= NORTH;

const OUTLINE_PATH = `${US_OUTLINE.map(([lon, lat], i) => `${i ? 'L' : 'M'}${round(x(lon))} ${round(y(lat))}`).join(' ')} Z`;

const range = (from: number, to: number, step: number) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);
const MERIDIANS = range(-120, -70, 5);
const PARALLELS = range(25, 45, 5);

/** Labels beside the dots while they stay readable; past this many, the hover title has to do. */
const MAX_LABELS = 15;

export function NetworkMap({ locations }: { locations: Location[] }) {
  const shown = locations.filter(onMap);
  // Inactive first, so an active location at the same place is drawn over it.
  const ordered = [...shown].sort((a, b) => Number(a.active) - Number(b.active));
  const labelled = shown.length <= MAX_LABELS;

  return (
    <figure className="map">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby="map-title"
        preserveAspectRatio="xMidYMid meet"
      >
        <title id="map-title">Map of locations in the contiguous United States</title>
        <g className="graticule">
          {MERIDIANS.map((lon) => (
            <line key={`m${lon}`} x1={x(lon)} x2={x(lon)} y1={0} y2={HEIGHT} />
          ))}
          {PARALLELS.map((lat) => (
            <line key={`p${lat}`} x1={0} x2={WIDTH} y1={y(lat)} y2={y(lat)} />
          ))}
        </g>
        <path className="land" d={OUTLINE_PATH} />
        {ordered.map((l) => (
          <g
            key={l.location_id}
            className={`loc type-${l.type}${l.active ? '' : ' inactive'}`}
            data-location-id={l.location_id}
          >
            <title>
              {`${l.name} · ${locationTypeLabel(l.type)} · ${l.address.city}, ${l.address.region}${l.active ? '' : ' · inactive'}`}
            </title>
            <circle cx={round(x(l.longitude))} cy={round(y(l.latitude))} r={7} />
            {labelled && (
              <text x={round(x(l.longitude)) + 11} y={round(y(l.latitude)) + 4}>
                {l.name}
              </text>
            )}
          </g>
        ))}
      </svg>
      <figcaption>
        <ul className="legend">
          {Object.entries(LOCATION_TYPES).map(([type, label]) => (
            <li key={type} className={`type-${type}`}>
              <svg className="swatch-dot" viewBox="0 0 12 12" aria-hidden="true">
                <circle cx="6" cy="6" r="5" />
              </svg>
              {label}
            </li>
          ))}
          <li className="inactive">
            <svg className="swatch-dot" viewBox="0 0 12 12" aria-hidden="true">
              <circle cx="6" cy="6" r="4.5" />
            </svg>
            Inactive (hollow)
          </li>
        </ul>
      </figcaption>
    </figure>
  );
}
