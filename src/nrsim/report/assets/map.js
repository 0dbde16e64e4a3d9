// nrsim report map: a canvas map component (no third-party code). Reads the JSON block
// #map-data; data reach the DOM only as text (textContent, createElement), never as markup.
// Raster layers are coloured here from their values and threshold classes (editable), drawn
// through an offscreen canvas; sites, UEs and events are vector layers; pan (drag), zoom
// (wheel, buttons), scale bar and north arrow; an optional XYZ basemap (only when the report
// was built with --basemap; otherwise nothing is requested).
(function(){
'use strict';
var errs=[];window.__nrsimErrors=errs;
// errors and CSP violations are counted live on <body> (violations are dispatched asynchronously,
// some after the map has finished drawing)
function noteErr(m){errs.push(m);if(document.body){document.body.setAttribute('data-errors',errs.length);
 document.body.setAttribute('data-error-text',errs.join(' | '));}}
window.addEventListener('error',function(e){noteErr(String(e.message));});
document.addEventListener('securitypolicyviolation',function(e){noteErr('csp '+e.blockedURI);});
var holder=document.getElementById('map-data');
function finish(){var n=(performance.getEntriesByType('resource')||[]).length;
 document.body.setAttribute('data-resource-requests',n);document.body.setAttribute('data-errors',errs.length);
 document.body.setAttribute('data-error-text',errs.join(' | '));document.body.setAttribute('data-ready','1');}
if(!holder){window.addEventListener('load',finish);return;}
var M=JSON.parse(holder.textContent);
var cv=document.getElementById('map'),ctx=cv.getContext('2d'),tip=document.getElementById('tip');
var sel=document.getElementById('layer'),leg=document.getElementById('legend'),info=document.getElementById('info');
var brk=document.getElementById('breaks');
var NOD=-32768;

function el(tag,text,cls){var d=document.createElement(tag);if(cls)d.className=cls;if(text!==undefined)d.textContent=String(text);return d;}
function decodeI16(b64,scale){var s=atob(b64),n=s.length>>1,out=new Float32Array(n);
 for(var i=0;i<n;i++){var v=(s.charCodeAt(2*i)|(s.charCodeAt(2*i+1)<<8));if(v>=32768)v-=65536;out[i]=(v===NOD)?NaN:v/scale;}return out;}
function decodeF32(b64){var s=atob(b64),u=new Uint8Array(s.length);for(var i=0;i<s.length;i++)u[i]=s.charCodeAt(i);
 return new Float32Array(u.buffer);}
function hexRgb(h){return [parseInt(h.substr(1,2),16),parseInt(h.substr(3,2),16),parseInt(h.substr(5,2),16)];}
function rampAt(r,t){var x=Math.max(0,Math.min(1,t))*(r.length-1),i=Math.min(r.length-2,Math.floor(x)),f=x-i;
 return [0,1,2].map(function(k){return Math.round(r[i][k]*(1-f)+r[i+1][k]*f);});}
function fmt(v){if(v===null||v===undefined||isNaN(v))return '-';var a=Math.abs(v);
 return a>=100?v.toFixed(0):(a>=10?v.toFixed(1):v.toFixed(2));}

M.layers.forEach(function(L){L.v=decodeI16(L.data,L.scale);});
function layerByKey(k){for(var i=0;i<M.layers.length;i++){if(M.layers[i].key===k)return M.layers[i];}return null;}
var cellPal=(M.cell_palette||[]).map(hexRgb),vendRgb=(M.vendors||[]).map(function(V){return hexRgb(V.colour);});
function classColours(L){var n=L.breaks.length+1,out=[];for(var k=0;k<n;k++)out.push(rampAt(L.ramp,n===1?0.5:k/(n-1)));return out;}
function classOf(L,v){var k=0;while(k<L.breaks.length&&v>=L.breaks[k])k++;return k;}

// group the layer control by the layers' groups
var groups={};
M.layers.forEach(function(L,i){var g=groups[L.group];if(!g){g=document.createElement('optgroup');g.label=L.group;groups[L.group]=g;sel.appendChild(g);}
 var o=el('option',L.label+(L.unit?' ['+L.unit+']':''));o.value=i;g.appendChild(o);if(L.default)sel.value=String(i);});

var W=M.cols*M.res,H=M.rows*M.res,view={s:1,tx:0,ty:0};
function fit(){view.s=Math.min(cv.width/W,cv.height/H);view.tx=(cv.width-W*view.s)/2;view.ty=(cv.height-H*view.s)/2;}
fit();
function toScreen(x,y){return [(x-M.x0)*view.s+view.tx,(M.y0-y)*view.s+view.ty];}
function toWorld(px,py){return [(px-view.tx)/view.s+M.x0,M.y0-(py-view.ty)/view.s];}

var off=document.createElement('canvas');off.width=M.cols;off.height=M.rows;var offCtx=off.getContext('2d');var offKey=null;
function current(){return M.layers[sel.value|0];}
function pixelColour(L,v){
 if(isNaN(v))return null;
 if(L.kind==='classes')return L.colours[classOf(L,v)];
 if(L.kind==='cell'){var c=M.cell_colour?M.cell_colour[v]:v;return cellPal.length?cellPal[c%cellPal.length]:[80,80,200];}
 var C=L.categories[v];return C?hexRgb(C.colour):[128,128,128];}
function paint(L){
 if(L.kind==='classes')L.colours=classColours(L);
 var img=offCtx.createImageData(M.cols,M.rows),d=img.data,n=M.cols*M.rows;
 for(var i=0;i<n;i++){var c=pixelColour(L,L.v[i]);if(c){d[4*i]=c[0];d[4*i+1]=c[1];d[4*i+2]=c[2];d[4*i+3]=255;}}
 offCtx.putImageData(img,0,0);offKey=L.key+'|'+(L.breaks||[]).join(',');}

// the legend: threshold classes (or categories) with the area share of each
function legend(L){
 var rows=[],n=0,i,valid=0;
 if(L.kind==='classes'){var counts=new Array(L.breaks.length+1).fill(0);
  for(i=0;i<L.v.length;i++){if(!isNaN(L.v[i])){counts[classOf(L,L.v[i])]++;valid++;}}
  for(var k=counts.length-1;k>=0;k--){var lo=k>0?L.breaks[k-1]:null,hi=k<L.breaks.length?L.breaks[k]:null;
   var lab=lo===null?'< '+hi:(hi===null?'\u2265 '+lo:lo+' \u2026 '+hi);rows.push([L.colours[k],lab+(L.unit?' '+L.unit:''),counts[k]]);}}
 else if(L.kind==='category'){var cc=new Array(L.categories.length).fill(0);
  for(i=0;i<L.v.length;i++){if(!isNaN(L.v[i])){cc[L.v[i]]++;valid++;}}
  L.categories.forEach(function(C,k){rows.push([hexRgb(C.colour),C.label,cc[k]]);});}
 else{for(i=0;i<L.v.length;i++){if(!isNaN(L.v[i]))valid++;}
  var used={};for(i=0;i<L.v.length;i++){if(!isNaN(L.v[i]))used[L.v[i]]=1;}n=Object.keys(used).length;}
 var kids=[el('div',L.label+(L.unit?' ['+L.unit+']':''),'lt')];
 rows.forEach(function(r){var row=el('div',undefined,'lrow'),sw=el('span',undefined,'sw');sw.style.background='rgb('+r[0].join(',')+')';
  var share=valid?100*r[2]/valid:0;row.setAttribute('data-share',share.toFixed(3));
  row.appendChild(sw);row.appendChild(el('span',r[1],'ll'));row.appendChild(el('span',share.toFixed(1)+' %','lp'));kids.push(row);});
 if(L.kind==='cell')kids.push(el('div',n+' cells in '+cellPal.length+' colours; neighbouring cells always differ. Hover or click for the cell ID.','dim'));
 kids.push(el('div','Area: '+(valid*M.res*M.res/1e6).toFixed(2)+' km\u00b2 ('+valid+' pixels of '+M.res+' m)','dim'));
 if(M.vendors&&M.vendors.length&&document.getElementById('sites').checked){kids.push(el('div','Site wedges by vendor:','lt'));
  M.vendors.forEach(function(V){var row=el('div',undefined,'lrow'),sw=el('span',undefined,'sw');sw.style.background=V.colour;row.appendChild(sw);row.appendChild(el('span',V.label,'ll'));kids.push(row);});}
 leg.replaceChildren.apply(leg,kids);leg.setAttribute('data-layer',L.key);leg.setAttribute('data-rows',rows.length);
 brk.disabled=L.kind!=='classes';brk.value=L.kind==='classes'?L.breaks.join(', '):'';brk.classList.remove('bad');}

// optional basemap: XYZ tiles placed through the lon/lat -> local affine of M.geo
var tiles={},T=M.basemap&&M.geo?M.basemap:null,showBase=document.getElementById('basemap');
function lonlatToXY(lon,lat){var a=M.geo.ax,b=M.geo.ay;return [a[0]*lon+a[1]*lat+a[2],b[0]*lon+b[1]*lat+b[2]];}
function xyToLonLat(x,y){var a=M.geo.ax,b=M.geo.ay,det=a[0]*b[1]-a[1]*b[0],u=x-a[2],v=y-b[2];
 return [(b[1]*u-a[1]*v)/det,(a[0]*v-b[0]*u)/det];}
function tileLon(x,z){return x/Math.pow(2,z)*360-180;}
function tileLat(y,z){var n=Math.PI*(1-2*y/Math.pow(2,z));return 180/Math.PI*Math.atan(0.5*(Math.exp(n)-Math.exp(-n)));}
function drawBasemap(){
 if(!T||!showBase||!showBase.checked)return 0;
 var mpp=1/view.s,z=Math.round(Math.log2(156543.03*Math.cos(M.geo.lat0*Math.PI/180)/mpp));z=Math.max(0,Math.min(19,z));
 var a=xyToLonLat.apply(null,toWorld(0,0)),b=xyToLonLat.apply(null,toWorld(cv.width,cv.height)),N=Math.pow(2,z);
 function tx(lon){return Math.floor((lon+180)/360*N);}
 function ty(lat){var r=lat*Math.PI/180;return Math.floor((1-Math.log(Math.tan(r)+1/Math.cos(r))/Math.PI)/2*N);}
 var x0=Math.max(0,tx(Math.min(a[0],b[0]))),x1=Math.min(N-1,tx(Math.max(a[0],b[0]))),y0=Math.max(0,ty(Math.max(a[1],b[1]))),y1=Math.min(N-1,ty(Math.min(a[1],b[1]))),drawn=0;
 if((x1-x0+1)*(y1-y0+1)>100)return 0;
 for(var x=x0;x<=x1;x++){for(var y=y0;y<=y1;y++){
  var url=T.split('{z}').join(z).split('{x}').join(x).split('{y}').join(y),im=tiles[url];
  if(!im){im=new Image();im.onload=draw;im.src=url;tiles[url]=im;}
  if(im.complete&&im.naturalWidth){var p0=toScreen.apply(null,lonlatToXY(tileLon(x,z),tileLat(y,z))),
   p1=toScreen.apply(null,lonlatToXY(tileLon(x+1,z),tileLat(y,z))),p2=toScreen.apply(null,lonlatToXY(tileLon(x,z),tileLat(y+1,z)));
   ctx.save();ctx.setTransform((p1[0]-p0[0])/im.naturalWidth,(p1[1]-p0[1])/im.naturalWidth,(p2[0]-p0[0])/im.naturalHeight,(p2[1]-p0[1])/im.naturalHeight,p0[0],p0[1]);
   ctx.drawImage(im,0,0);ctx.restore();drawn++;}}}
 return drawn;}

var picked=null,showSites=document.getElementById('sites'),showUes=document.getElementById('ues'),showEvents=document.getElementById('events');
var U=M.ues?{x:decodeF32(M.ues.x),y:decodeF32(M.ues.y),s:M.ues.sinr?decodeI16(M.ues.sinr,10):null}:null;
function scaleBar(){var target=120/view.s,p=Math.pow(10,Math.floor(Math.log10(target))),m=[5,2,1].map(function(k){return k*p;}).filter(function(v){return v<=target;})[0]||p;
 var w=m*view.s,x=16,y=cv.height-20;ctx.fillStyle='rgba(255,255,255,0.85)';ctx.fillRect(x-6,y-22,w+60,30);
 ctx.strokeStyle='#000';ctx.lineWidth=2;ctx.beginPath();ctx.moveTo(x,y-6);ctx.lineTo(x,y);ctx.lineTo(x+w,y);ctx.lineTo(x+w,y-6);ctx.stroke();
 ctx.fillStyle='#000';ctx.font='12px sans-serif';ctx.fillText(m>=1000?(m/1000)+' km':m+' m',x+w+6,y);return m;}
function northArrow(){var deg=M.geo?M.geo.north_deg:0,x=cv.width-34,y=46;ctx.save();ctx.translate(x,y);
 ctx.fillStyle='rgba(255,255,255,0.85)';ctx.beginPath();ctx.arc(0,0,24,0,6.3);ctx.fill();ctx.rotate(deg*Math.PI/180);
 ctx.fillStyle='#000';ctx.beginPath();ctx.moveTo(0,-18);ctx.lineTo(7,8);ctx.lineTo(0,3);ctx.lineTo(-7,8);ctx.closePath();ctx.fill();
 ctx.font='bold 11px sans-serif';ctx.textAlign='center';ctx.fillText('N',0,19);ctx.restore();return deg;}
function draw(){
 var L=current();
 ctx.setTransform(1,0,0,1,0,0);ctx.fillStyle='#f4f4f0';ctx.fillRect(0,0,cv.width,cv.height);
 var nt=drawBasemap();
 var key=L.key+'|'+(L.breaks||[]).join(',');if(key!==offKey)paint(L);
 var p=toScreen(M.x0,M.y0);ctx.imageSmoothingEnabled=false;ctx.globalAlpha=nt?0.6:0.9;ctx.drawImage(off,p[0],p[1],W*view.s,H*view.s);ctx.globalAlpha=1;
 ctx.strokeStyle='#999';ctx.lineWidth=1;ctx.strokeRect(p[0],p[1],W*view.s,H*view.s);
 var nu=0;
 if(U&&showUes&&showUes.checked){var S=layerByKey('sinr_db')||{breaks:[-5,0,5,10,15,20],ramp:[[215,48,39],[26,152,80]]},cols=classColours(S);
  for(var i=0;i<U.x.length;i++){var q=toScreen(U.x[i],U.y[i]);if(q[0]<0||q[1]<0||q[0]>cv.width||q[1]>cv.height)continue;
   var c=U.s&&!isNaN(U.s[i])?cols[classOf(S,U.s[i])]:[40,40,40];ctx.fillStyle='rgb('+c.join(',')+')';ctx.fillRect(q[0]-1.5,q[1]-1.5,3,3);nu++;}}
 if(showSites.checked){var r=Math.max(7,Math.min(40,view.s*M.res*1.6));
  M.sites.forEach(function(Sx){var q=toScreen(Sx.x,Sx.y);
   Sx.cells.forEach(function(C){var a=-C.b*Math.PI/180;
    ctx.beginPath();ctx.moveTo(q[0],q[1]);ctx.arc(q[0],q[1],r,a-0.45,a+0.45);ctx.closePath();
    var vc=M.cell_vendor?vendRgb[M.cell_vendor[C.i]]:[30,60,200];ctx.fillStyle=C.off?'rgba(150,150,150,0.45)':'rgba('+vc.join(',')+',0.9)';
    ctx.fill();ctx.strokeStyle=(picked===C.i)?'#000':'#fff';ctx.lineWidth=(picked===C.i)?2.5:0.6;ctx.stroke();});
   ctx.beginPath();ctx.arc(q[0],q[1],2.5,0,6.3);ctx.fillStyle='#000';ctx.fill();});}
 var EC=['rgba(0,160,60,0.85)','rgba(240,140,0,0.9)','rgba(220,0,0,0.95)','rgba(0,0,0,0.9)'],ne=0;
 if(!showEvents||showEvents.checked){(M.events||[]).forEach(function(E){var q=toScreen(E[0],E[1]);ctx.fillStyle=EC[E[2]];ne++;
  if(E[2]>=2){ctx.fillRect(q[0]-2.5,q[1]-2.5,5,5);}else{ctx.beginPath();ctx.arc(q[0],q[1],2,0,6.3);ctx.fill();}});}
 var sm=scaleBar(),nd=northArrow();
 if(leg.getAttribute('data-layer')!==L.key||leg.getAttribute('data-breaks')!==key){legend(L);leg.setAttribute('data-breaks',key);}
 cv.setAttribute('data-rendered','1');cv.setAttribute('data-layer',L.key);cv.setAttribute('data-sites',M.sites.length);
 cv.setAttribute('data-events',(M.events||[]).length);cv.setAttribute('data-ues',nu);cv.setAttribute('data-scale-m',sm);
 cv.setAttribute('data-north-deg',nd.toFixed(2));cv.setAttribute('data-tiles',nt);
}
function latlon(x,y){if(!M.geo)return '';var ll=xyToLonLat(x,y);return 'lat '+ll[1].toFixed(5)+', lon '+ll[0].toFixed(5);}
function describe(px,py){
 var w=toWorld(px,py),col=Math.floor((w[0]-M.x0)/M.res),row=Math.floor((M.y0-w[1])/M.res);
 if(col<0||row<0||col>=M.cols||row>=M.rows)return null;
 var i=row*M.cols+col,L=current(),cellL=(L.kind==='cell')?L:(layerByKey('serving_cell')||layerByKey('dominant_cell'));
 var cell=cellL?cellL.v[i]:NaN;if(isNaN(cell))return null;
 var kids=[el('div',M.cell_ids?M.cell_ids[cell]:('cell '+cell),'name')];
 if(M.cell_info&&M.cell_info[cell])kids.push(el('div',M.cell_info[cell],'dim'));
 M.layers.forEach(function(X){var v=X.v[i];if(X.kind==='cell'){if(X!==cellL)kids.push(el('div',X.label+': '+(isNaN(v)?'-':(M.cell_ids?M.cell_ids[v]:v))));}
  else if(X.kind==='category'){kids.push(el('div',X.label+': '+(isNaN(v)?'-':X.categories[v].label)));}
  else{kids.push(el('div',X.label+': '+fmt(v)+(X.unit?' '+X.unit:'')));}});
 var ll=latlon(w[0],w[1]);if(ll)kids.push(el('div',ll,'dim'));
 return {cell:cell,kids:kids};}
function pos(e){var b=cv.getBoundingClientRect();return [(e.clientX-b.left)*cv.width/b.width,(e.clientY-b.top)*cv.height/b.height];}
var drag=null,moved=false;
cv.addEventListener('mousemove',function(e){var p=pos(e);
 if(drag){view.tx+=p[0]-drag[0];view.ty+=p[1]-drag[1];if(Math.abs(p[0]-drag[0])+Math.abs(p[1]-drag[1])>0)moved=true;drag=p;draw();return;}
 var d=describe(p[0],p[1]);if(!d){tip.style.display='none';return;}
 tip.replaceChildren.apply(tip,d.kids);tip.setAttribute('data-cell',d.cell);
 tip.style.display='block';tip.style.left=(e.pageX+12)+'px';tip.style.top=(e.pageY+12)+'px';});
cv.addEventListener('mousedown',function(e){drag=pos(e);moved=false;});
window.addEventListener('mouseup',function(){drag=null;});
cv.addEventListener('click',function(e){if(moved)return;var p=pos(e),d=describe(p[0],p[1]);
 if(!d){info.replaceChildren(el('div','Click a pixel of the map for its cell and values.','dim'));info.removeAttribute('data-cell');picked=null;draw();return;}
 info.replaceChildren.apply(info,d.kids);info.setAttribute('data-cell',d.cell);picked=d.cell;draw();});
cv.addEventListener('mouseleave',function(){tip.style.display='none';});
function zoom(f,px,py){view.tx=px-(px-view.tx)*f;view.ty=py-(py-view.ty)*f;view.s*=f;draw();}
cv.addEventListener('wheel',function(e){e.preventDefault();var p=pos(e);zoom(e.deltaY<0?1.2:1/1.2,p[0],p[1]);},{passive:false});
document.getElementById('zin').addEventListener('click',function(){zoom(1.5,cv.width/2,cv.height/2);});
document.getElementById('zout').addEventListener('click',function(){zoom(1/1.5,cv.width/2,cv.height/2);});
document.getElementById('reset').addEventListener('click',function(){fit();draw();});
brk.addEventListener('change',function(){var L=current();if(L.kind!=='classes')return;
 var v=brk.value.split(',').map(function(s){return parseFloat(s);});
 var ok=v.length>=1&&v.length<=12&&v.every(function(x,i){return isFinite(x)&&(i===0||x>v[i-1]);});
 if(!ok){brk.classList.add('bad');return;}L.breaks=v;draw();});
[sel,showSites,showUes,showEvents,showBase].forEach(function(c){if(c)c.addEventListener('change',function(){leg.removeAttribute('data-layer');draw();});});
draw();
window.addEventListener('load',function(){draw();finish();});
})();
