// One-off, not part of the build: makes hub/src/main/resources/META-INF/resources/noc/world.svg, the NOC map's
// background, from Natural Earth's 1:110m land (public domain) as packaged in npm's world-atlas 2.0.2 (ISC,
// Mike Bostock). Equirectangular: x = lon + 180, y = 90 - lat, in a 360 x 180 view box; one decimal.
// Regenerate: cd /tmp/x && npm install world-atlas@2.0.2 topojson-client@3.1.0 && node <repo>/hub/src/noc-map/make-map.mjs > world.svg
import { createRequire } from 'node:module';

// the packages are looked up where the command runs (npm installed them there), not beside this script
const require = createRequire(`${process.cwd()}/`);
const { feature } = require('topojson-client');
const land = require('world-atlas/land-110m.json');
const geo = feature(land, land.objects.land);
// a ring that crosses the antimeridian jumps by ~360 degrees: start a new subpath there instead of drawing across
const ring = (r) => r.map(([lon, lat], i) => `${i && Math.abs(lon - r[i - 1][0]) < 180 ? 'L' : 'M'}`
  + `${(lon + 180).toFixed(1)} ${(90 - lat).toFixed(1)}`).join('') + 'Z';
const paths = [];
for (const f of geo.features) {
  const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  for (const p of polys) paths.push(p.map(ring).join(''));
}
process.stdout.write(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 180">`
  + `<!-- Natural Earth 1:110m land (public domain), from world-atlas 2.0.2 (ISC, Mike Bostock); hub/src/noc-map/make-map.mjs -->`
  + `<rect width="360" height="180" fill="#eaf2fb"/><path fill="#cfd8dc" stroke="#90a4ae" stroke-width="0.2" d="${paths.join('')}"/></svg>\n`);
